//! The method effect: the random draw (随机抽查) is the benchmark the rated
//! unit does not choose; where the forms cadres collect face to face
//! (群众测评, 民情恳谈) rate a subject far above the draw in the same year,
//! someone may have asked for satisfaction (讨满意). Per subject and per
//! subject kind with `method_min_raters` people on each side: the rates with
//! responses as clusters (DESIGN §5 Evidence, `evidence::clustered`), the
//! two-proportion z = (p_f − p_d) / √(p_f(1−p_f)/n_f + p_d(1−p_d)/n_d) on
//! the effective sizes, one-sided p = P(Z ≥ z) (only inflation is asked
//! about), Benjamini-Hochberg q across the subjects (and, apart, the kinds).

use anyhow::Result;
use polars::prelude::*;

use super::{Check, Unit};
use crate::compute::evidence::clustered;
use crate::compute::method_cells::{by_year, sums};
use crate::config::Config;
use crate::contract::Level;
use crate::stats::{benjamini_hochberg, normal_upper_tail};

const FACE: &str = "face";
const DRAW: &str = "draw";

/// Each method cell's side: face to face, the draw, or neither (null).
fn side(cfg: &Config) -> Expr {
    let face = Series::new("f".into(), cfg.integrity.face_to_face.clone());
    when(col("method").is_in(lit(face).implode(false), false))
        .then(lit(FACE))
        .when(col("method").eq(lit(cfg.integrity.benchmark.clone())))
        .then(lit(DRAW))
        .otherwise(lit(NULL).cast(DataType::String))
}

/// Per unit (the method cells' `level`: a subject, or a kind county-wide),
/// year and side: rate, raters and n_eff with forms as clusters, collected
/// once for both sides.
fn cells(cfg: &Config, method_cells: LazyFrame, level: Level) -> Result<DataFrame> {
    let unit = if level == Level::Subject {
        "group"
    } else {
        "kind"
    };
    let sums = by_year(method_cells, level)
        .with_column(side(cfg).alias("side"))
        .filter(col("side").is_not_null())
        .group_by([col(unit).alias("unit_id"), col("window"), col("side")])
        .agg(sums())
        .rename(["m", "y"], ["valid", "satisfied"], true)
        .with_column((col("satisfied") / col("valid")).alias("rate"));
    Ok(clustered(sums)
        .select([
            col("unit_id"),
            col("window"),
            col("side"),
            col("raters"),
            col("rate"),
            col("n_eff"),
        ])
        .collect()?)
}

/// Face-to-face beside the draw, for units with enough people on both sides.
fn paired(cfg: &Config, cells: DataFrame) -> Result<DataFrame> {
    let min = cfg.integrity.method_min_raters;
    let part = |s: &str, suffix: &str| {
        cells
            .clone()
            .lazy()
            .filter(col("side").eq(lit(s)).and(col("raters").gt_eq(lit(min))))
            .select([
                col("unit_id"),
                col("window"),
                col("raters").alias(format!("raters_{suffix}")),
                col("rate").alias(format!("rate_{suffix}")),
                col("n_eff").alias(format!("n_{suffix}")),
            ])
    };
    let keys = [col("unit_id"), col("window")];
    Ok(part(FACE, "f")
        .join(
            part(DRAW, "d"),
            keys.clone(),
            keys,
            JoinArgs::new(JoinType::Inner),
        )
        .sort(["unit_id", "window"], Default::default())
        .collect()?)
}

/// The test on paired rows, as the table's rows for `unit`.
fn tested(cfg: &Config, unit: Unit, pairs: &DataFrame) -> Result<DataFrame> {
    let f = |c: &str| -> Result<Vec<f64>> {
        Ok(pairs
            .column(c)?
            .f64()?
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect())
    };
    let (rf, rd, nf, nd) = (f("rate_f")?, f("rate_d")?, f("n_f")?, f("n_d")?);
    let n = rf.len();
    let z: Vec<Option<f64>> = (0..n)
        .map(|j| {
            let var = rf[j] * (1.0 - rf[j]) / nf[j] + rd[j] * (1.0 - rd[j]) / nd[j];
            (var > 0.0).then(|| (rf[j] - rd[j]) / var.sqrt())
        })
        .collect();
    let p: Vec<Option<f64>> = z.iter().map(|z| z.map(normal_upper_tail)).collect();
    let with_p: Vec<usize> = (0..n).filter(|&j| p[j].is_some()).collect();
    let q_some = benjamini_hochberg(
        &with_p
            .iter()
            .map(|&j| p[j].unwrap_or(1.0))
            .collect::<Vec<_>>(),
    );
    let mut q = vec![None; n];
    for (&j, v) in with_p.iter().zip(q_some) {
        q[j] = Some(v);
    }
    let i = &cfg.integrity;
    let flagged: Vec<bool> = (0..n)
        .map(|j| q[j].is_some_and(|q| q < i.alpha) && rf[j] - rd[j] >= i.method_min_gap)
        .collect();
    let note: Vec<Option<&str>> = flagged
        .iter()
        .map(|&f| f.then_some("需核实：面对面测评明显高于随机抽查"))
        .collect();
    let subject = pairs.column("unit_id")?.clone();
    let mut out = df! {
        "check" => vec![Check::MethodEffect.as_str(); n],
        "unit" => vec![unit.as_str(); n],
        "n" => pairs.column("raters_f")?.as_materialized_series().clone(),
        "share" => rf.clone(),
        "baseline" => rd.clone(),
        "baseline_n" => pairs.column("raters_d")?.as_materialized_series().clone(),
        "gap_pp" => (0..n).map(|j| (rf[j] - rd[j]) * 100.0).collect::<Vec<_>>(),
        "z" => z,
        "p" => p,
        "q" => q,
        "flagged" => flagged,
        "note" => note,
    }?;
    out.with_column(subject.clone())?;
    out.with_column(pairs.column("window")?.clone())?;
    if unit == Unit::Subject {
        out.with_column(subject.with_name("subject_id".into()))?;
    }
    Ok(out)
}

/// Method-effect rows: per subject, then per subject kind (组织/干部), from
/// the pass's method cells (`method_cells.rs`).
pub fn method_effect(cfg: &Config, method_cells: LazyFrame) -> Result<DataFrame> {
    let by_subject = paired(cfg, cells(cfg, method_cells.clone(), Level::Subject)?)?;
    let by_kind = paired(cfg, cells(cfg, method_cells, Level::County)?)?;
    let a = tested(cfg, Unit::Subject, &by_subject)?;
    let b = tested(cfg, Unit::SubjectKind, &by_kind)?;
    Ok(concat(
        [super::conform(a.lazy())?, super::conform(b.lazy())?],
        UnionArgs::default(),
    )?
    .collect()?)
}
