//! Who rated, against the quota of the subject's org type (评议主体构成: 机关
//! 55/35/10), and the post-stratified rate that reweights each quota group to
//! its quota: p_w = Σ Q_g·p_g / Σ_{g present} Q_g, coverage = Σ_{g present} Q_g
//! (each rating weighs Q_g / n_g). Its interval, with forms as clusters, is
//! `evidence::post_stratified` on the pieces `clusters.rs` computes.

use crate::config::Config;
use polars::prelude::*;

/// (org_type, rater_category) → (quota_group, quota), and the tolerance per org type.
fn quota_map(cfg: &Config) -> DataFrame {
    let rows: Vec<_> = cfg.quota_rows().collect();
    df!(
        "org_type" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "rater_category" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "quota_group" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "quota" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        "tolerance" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
    )
    .expect("equal lengths")
}

/// One row per subject, period and quota group of its org type, groups
/// without raters included (n = 0).
pub fn composition(
    cfg: &Config,
    ratings: LazyFrame,
    subjects: LazyFrame,
) -> PolarsResult<LazyFrame> {
    let map = quota_map(cfg).lazy();
    let groups = map
        .clone()
        .select([
            col("org_type"),
            col("quota_group"),
            col("quota"),
            col("tolerance"),
        ])
        .unique_stable(None, UniqueKeepStrategy::First);
    let rated = ratings.join(
        subjects.select([col("subject_id"), col("org_type")]),
        [col("subject_id")],
        [col("subject_id")],
        JoinArgs::new(JoinType::Inner),
    );
    let counts = rated
        .clone()
        .join(
            map.select([col("org_type"), col("rater_category"), col("quota_group")]),
            [col("org_type"), col("rater_category")],
            [col("org_type"), col("rater_category")],
            JoinArgs::new(JoinType::Inner),
        )
        .group_by([col("subject_id"), col("period"), col("quota_group")])
        .agg([
            col("n").sum().alias("n"),
            col("valid").sum().alias("valid"),
            col("satisfied").sum().alias("satisfied"),
        ]);
    let grid = rated
        .select([col("subject_id"), col("period"), col("org_type")])
        .unique_stable(None, UniqueKeepStrategy::First)
        .join(
            groups,
            [col("org_type")],
            [col("org_type")],
            JoinArgs::new(JoinType::Inner),
        );
    let key = [col("subject_id"), col("period")];
    Ok(grid
        .join(
            counts,
            [col("subject_id"), col("period"), col("quota_group")],
            [col("subject_id"), col("period"), col("quota_group")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col("n").fill_null(lit(0u32)),
            col("valid").fill_null(lit(0u32)),
            col("satisfied").fill_null(lit(0u32)),
        ])
        .with_column(
            (col("n").cast(DataType::Float64)
                / col("n").sum().over(key.clone())?.cast(DataType::Float64))
            .alias("share"),
        )
        .with_column((col("share") - col("quota")).alias("deviation"))
        .with_column(
            col("deviation")
                .abs()
                .max()
                .over(key.clone())?
                .alias("max_deviation"),
        )
        .with_column(
            col("max_deviation")
                .lt_eq(col("tolerance"))
                .alias("compliant"),
        )
        .select([
            col("subject_id"),
            col("period"),
            col("org_type"),
            col("quota_group"),
            col("n"),
            col("valid"),
            col("satisfied"),
            col("share"),
            col("quota"),
            col("deviation"),
            col("max_deviation"),
            col("compliant"),
        ])
        .sort(["subject_id", "period", "quota_group"], Default::default()))
}

/// Post-stratified rate and coverage per subject and period from the
/// composition rows; its interval is `evidence::post_stratified`'s.
pub fn post_stratified(comp: LazyFrame) -> LazyFrame {
    let present = col("valid").gt(lit(0));
    let q = col("quota");
    let p_g = col("satisfied").cast(DataType::Float64) / col("valid").cast(DataType::Float64);
    let on = |e: Expr| when(present.clone()).then(e).otherwise(lit(0.0));
    comp.group_by([col("subject_id"), col("period")])
        .agg([
            on(q.clone() * p_g).sum().alias("__weighted"),
            on(q).sum().alias("coverage"),
        ])
        .with_column(
            when(col("coverage").gt(lit(0.0)))
                .then(col("__weighted") / col("coverage"))
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("rate_ps"),
        )
        .select([
            col("subject_id"),
            col("period"),
            col("rate_ps"),
            col("coverage"),
        ])
}
