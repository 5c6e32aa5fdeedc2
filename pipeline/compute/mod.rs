//! `pingyi compute`: metrics tables from the warehouse (DESIGN §5), written
//! back beside it and committed through the manifest like an ingest batch.
//!
//! Tables: rates with Wilson intervals by subject and by every group level,
//! rater composition against quotas with post-stratified rates, the seed's
//! breach rule with evidence labels, the watchlist, grades, the ledger
//! summary, headline figures and trends (Mann-Kendall, Sen's slope).

mod breaches;
mod composition;
mod ledger;
mod rates;
mod trends;

use anyhow::Result;
use polars::prelude::*;

use crate::config::Config;
use crate::dates::Date;
use crate::warehouse::{write_parquet, Warehouse};

/// Rows written per metrics table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub as_of: String,
    pub tables: Vec<(String, usize)>,
}

pub const METRICS: [&str; 10] = [
    "subject_period",
    "group_period",
    "composition",
    "breaches",
    "watchlist",
    "grades",
    "ledger_summary",
    "headline",
    "trends",
    "subject_detail",
];

pub fn run(cfg: &Config, wh: &Warehouse, as_of: Date) -> Result<Summary> {
    let manifest = wh.manifest()?;
    let ratings = wh.scan(&manifest, "ratings")?;
    let subjects = wh.scan(&manifest, "subjects")?;
    let suggestions = wh.scan(&manifest, "suggestions")?;
    // One pass over the ratings; every table below aggregates the cube.
    // The streaming engine keeps the pass over millions of ratings in bounded memory.
    let cube = rates::cube(ratings.clone())
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single()
        .lazy();
    // Distinct responses per subject-period: a second streamed pass, because
    // the cube's cells split a form across its items.
    // One period at a time: the distinct-response sets of all periods at
    // once cost 600 MB at ten million ratings (a response has one period,
    // so per-period counts add up).
    let mut per_period = vec![rates::raters(ratings.clone().clear())];
    for part in wh.scan_partitions(&manifest, "ratings")? {
        per_period.push(rates::raters(part).collect()?.lazy());
    }
    let by_category = concat(per_period, UnionArgs::default())?.collect()?;
    let raters = by_category
        .clone()
        .lazy()
        .group_by([col("subject_id"), col("period")])
        .agg([col("raters").sum()])
        .collect()?;
    let composition = composition::composition(cfg, cube.clone(), subjects.clone())?.collect()?;
    let subject_period = rates::subject_period(cube.clone())
        .join(
            composition::post_stratified(composition.clone().lazy()),
            [col("subject_id"), col("period")],
            [col("subject_id"), col("period")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            raters.clone().lazy(),
            [col("subject_id"), col("period")],
            [col("subject_id"), col("period")],
            JoinArgs::new(JoinType::Left),
        )
        // Joins need not keep row order: sort last, so equal inputs give
        // byte-identical files.
        .sort(["subject_id", "period"], Default::default())
        .collect()?;
    let plans = vec![
        rates::group_period(cube.clone(), subjects.clone()),
        composition.lazy(),
        breaches::breaches(cfg, subject_period.clone().lazy()),
        breaches::watchlist(cfg, subject_period.clone().lazy(), as_of),
        breaches::grades(cfg, cube.clone(), raters.lazy()),
        ledger::ledger_summary(suggestions.clone(), subjects, as_of),
    ];
    // Collected together, so polars runs the plans in parallel.
    let mut frames = vec![subject_period];
    frames.extend(collect_all(plans)?);
    // Distinct raters over every rating: streamed, not held in memory.
    frames.push(
        ledger::headline(ratings, cube.clone(), suggestions)
            .collect_with_engine(Engine::Streaming)?
            .unwrap_single(),
    );
    frames.push(trends::trends(&frames[0], &frames[1])?);
    frames.push(rates::subject_detail(cube, by_category.lazy()).collect()?);
    let mut m = manifest.clone();
    let stamp = format!("{:06}", m.next_batch_id());
    let mut tables = Vec::new();
    for (name, mut df) in METRICS.iter().zip(frames) {
        let rel = format!("metrics/{name}/c{stamp}.parquet");
        write_parquet(&mut df, &wh.root.join(&rel))?;
        m.tables.insert(name.to_string(), vec![rel]);
        tables.push((name.to_string(), df.height()));
    }
    m.computed_as_of = Some(as_of.to_string());
    m.metrics_input = Some(inputs_key(cfg, &manifest, as_of));
    crate::fsutil::fault_point("compute-written");
    wh.commit(&m)?;
    Ok(Summary {
        as_of: as_of.to_string(),
        tables,
    })
}

/// What the metrics depend on, as one hash: the files of the input tables,
/// the as-of date and the configuration's rules (the rater key left out: a
/// hash of a secret is not stored). Equal keys mean equal metrics.
pub fn inputs_key(cfg: &Config, m: &crate::warehouse::Manifest, as_of: Date) -> String {
    use sha2::Digest;
    let mut rules = serde_json::to_value(cfg).unwrap_or_default();
    if let Some(o) = rules.as_object_mut() {
        o.remove("privacy");
        o.remove("paths");
    }
    let tables: Vec<_> = ["ratings", "subjects", "suggestions"]
        .iter()
        .map(|t| m.tables.get(*t).cloned().unwrap_or_default())
        .collect();
    let text = serde_json::json!({ "tables": tables, "as_of": as_of.to_string(), "rules": rules });
    crate::fsutil::hex(&sha2::Sha256::digest(text.to_string().as_bytes()))
}

/// Runs independent plans as one multi-sink query, so polars executes them
/// concurrently on its pool and scans shared inputs once.
fn collect_all(plans: Vec<LazyFrame>) -> Result<Vec<DataFrame>> {
    let dsl = plans.into_iter().map(|l| l.logical_plan).collect();
    Ok(LazyFrame::collect_all_with_engine(
        dsl,
        Engine::Auto,
        OptFlags::default(),
    )?)
}
