//! `pingyi compute`: metrics tables from the warehouse (DESIGN §5), written
//! back beside it and committed through the manifest like an ingest batch.
//!
//! Tables: rates with Wilson intervals by subject and by every group level,
//! rater composition against quotas with post-stratified rates, the seed's
//! breach rule with evidence labels, the watchlist, grades, the ledger
//! summary, headline figures, trends (Mann-Kendall, Sen's slope, BH q) and
//! every change split by collection method.
//! Each is an entry of the registry in `tables.rs` (name, inputs, builder,
//! declared columns); this file computes the shared aggregates once, runs
//! the builders in rounds their inputs allow, checks each frame against its
//! declaration and commits them all.

mod breaches;
pub mod cases;
mod changes;
mod clusters;
mod codes;
mod composition;
mod distinct;
pub mod evidence;
mod exclude;
mod groups;
pub mod integrity;
mod ledger;
mod levels;
mod lookup;
mod method_cells;
pub mod method_rates;
mod metric;
mod period;
mod poststrat;
mod rates;
mod responses;
mod rows;
mod rule_window;
mod standardize;
pub mod tables;
mod timed;
mod trends;

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use polars::prelude::{concat, DataFrame, IntoLazy, LazyFrame, UnionArgs};

use crate::config::Config;
use crate::dates::Date;
use crate::warehouse::{write_parquet, Manifest, Warehouse};
use distinct::Distinct;
use tables::{Input, Inputs, Metric, Plan};

/// Rows written per metrics table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub as_of: String,
    pub tables: Vec<(String, usize)>,
}

pub fn run(cfg: &Config, wh: &Warehouse, as_of: Date) -> Result<Summary> {
    let manifest = wh.manifest()?;
    // The checks group forms on the stored `response_key` (format 2).
    manifest.require_current(&wh.root)?;
    let metrics = tables::metrics();
    let started = std::time::Instant::now();
    let mut ready = shared(cfg, wh, &manifest)?;
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(seconds, "shared inputs ready");
    build_all(cfg, as_of, &metrics, &mut ready)?;
    let started = std::time::Instant::now();
    let mut m = manifest.clone();
    let stamp = fresh_stamp(wh, &m);
    let mut tables = Vec::new();
    for metric in &metrics {
        let name = metric.table.name;
        let Some(Input::Frame(mut df)) = ready.remove(name) else {
            bail!("metric table `{name}` was not computed");
        };
        tables::check(&metric.table, &df)?;
        let rel = format!("metrics/{name}/c{stamp}.parquet");
        write_parquet(&mut df, &wh.root.join(&rel))?;
        m.tables.insert(name.to_string(), vec![rel]);
        tables.push((name.to_string(), df.height()));
    }
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(seconds, "metric tables written");
    m.computed_as_of = Some(as_of.to_string());
    m.metrics_input = Some(inputs_key(cfg, &manifest, as_of));
    crate::fsutil::fault_point("compute-written");
    wh.commit(&m)?;
    Ok(Summary {
        as_of: as_of.to_string(),
        tables,
    })
}

/// A file-name stamp no listed or existing metrics file carries: the next
/// batch's id, and a counter when the metrics are computed again without a
/// new batch (other rules, another as-of date). Writing over a listed file
/// would change it under its seal, and a crash would leave the committed
/// metrics half replaced; new names keep the old files whole until the
/// manifest that lists the new ones is committed.
fn fresh_stamp(wh: &Warehouse, m: &Manifest) -> String {
    let batch = m.next_batch_id();
    let taken = |stamp: &str| {
        tables::metrics().iter().any(|metric| {
            let rel = format!("metrics/{}/c{stamp}.parquet", metric.table.name);
            m.seals.contains_key(&rel)
                || m.tables.values().flatten().any(|f| *f == rel)
                || wh.root.join(&rel).exists()
        })
    };
    std::iter::once(format!("{batch:06}"))
        .chain((1..).map(|n| format!("{batch:06}-{n}")))
        .find(|s| !taken(s))
        .expect("an unbounded sequence has a free stamp")
}

/// The scanned warehouse tables and the aggregates several builders share
/// (`tables::SHARED`), each computed once.
fn shared(
    cfg: &Config,
    wh: &Warehouse,
    manifest: &Manifest,
) -> Result<BTreeMap<&'static str, Input>> {
    let ratings = wh.scan(manifest, "ratings")?;
    // Every builder and the cluster pass read the roster with the county
    // bodies as their own township-level group (`groups.rs`).
    let subjects = groups::grouped_frame(cfg, wh.scan(manifest, "subjects")?)?;
    let mut ready = BTreeMap::from([
        ("ratings", Input::Scan(ratings.clone())),
        ("subjects", Input::Frame(subjects.clone())),
        (
            "suggestions",
            Input::Scan(wh.scan(manifest, "suggestions")?),
        ),
        (
            "case_records",
            Input::Scan(wh.scan(manifest, "case_records")?),
        ),
    ]);
    // One pass over the ratings into the cube every table aggregates and
    // the distinct counts, one period partition at a time (`period.rs`): a
    // period's groups are its own (the period is a key), and holding one
    // period's instead of all of them at once halves the peak (measured
    // with Python polars on the ten-million-rating warehouse: 725 MB in one
    // pass, 295 MB by period).
    let mut cubes = vec![rates::cube(ratings.clone().clear())];
    let mut distinct = Distinct::default();
    let lookup = lookup::Lookup::new(cfg, &subjects)?;
    let excluded = exclude::Excluded::new(cfg, ratings.clone())?;
    let (mut sums, mut ps, mut methods) = (Vec::new(), Vec::new(), Vec::new());
    let (mut stuffed, mut busy, mut straight) = (Vec::new(), Vec::new(), Vec::new());
    for files in wh.partitions(manifest, "ratings") {
        let started = std::time::Instant::now();
        let part = period::aggregate(wh, manifest, &files, &lookup, &excluded)?;
        cubes.push(part.cube.lazy());
        sums.push(part.sums.lazy());
        ps.push(part.ps.lazy());
        methods.push(part.methods.lazy());
        stuffed.push(part.findings.stuffed.lazy());
        busy.push(part.findings.busy.lazy());
        straight.push(part.findings.straight.lazy());
        distinct.add_period(part.keys, &part.dicts);
        let seconds = started.elapsed().as_secs_f64();
        tracing::info!(files = files.len(), seconds, "period aggregated");
        // What this period's reading freed goes back to the system before
        // the next: glibc otherwise keeps each period's buffers, and at
        // 100 M ratings the process grew by ~150 MB a period.
        crate::fsutil::release_freed_memory();
    }
    let cube = concat(cubes, UnionArgs::default())?.collect()?;
    let by_category = distinct.raters_by_category()?;
    // Each shared table is its periods' parts after an empty frame of its
    // columns (so a warehouse without ratings still has them).
    let stacked = |empty: DataFrame, parts: Vec<LazyFrame>| -> Result<Input> {
        let all = std::iter::once(empty.lazy())
            .chain(parts)
            .collect::<Vec<_>>();
        Ok(Input::Frame(concat(all, UnionArgs::default())?.collect()?))
    };
    let none = integrity::pass::empty()?;
    ready.insert("key_stuffing", stacked(none.stuffed, stuffed)?);
    ready.insert("key_busy_days", stacked(none.busy, busy)?);
    ready.insert("straight_counts", stacked(none.straight, straight)?);
    ready.insert("method_cells", stacked(method_cells::empty()?, methods)?);
    ready.insert("clusters", stacked(clusters::empty_sums()?, sums)?);
    ready.insert("clusters_ps", stacked(clusters::empty_ps()?, ps)?);
    let categories = rates::cube_categories(cube.clone().lazy()).collect()?;
    ready.insert("cube", Input::Frame(cube));
    ready.insert("cube_categories", Input::Frame(categories));
    ready.insert("raters_by_category", Input::Frame(by_category));
    ready.insert("people", Input::Frame(distinct.people()?));
    Ok(ready)
}

/// Builds every metric in rounds: each round takes the metrics whose inputs
/// are ready, collects their plans, and adds the frames to `ready`.
fn build_all(
    cfg: &Config,
    as_of: Date,
    metrics: &[Metric],
    ready: &mut BTreeMap<&'static str, Input>,
) -> Result<()> {
    let mut pending: Vec<&Metric> = metrics.iter().collect();
    while !pending.is_empty() {
        let (now, later): (Vec<&Metric>, Vec<&Metric>) = pending
            .into_iter()
            .partition(|m| m.inputs.iter().all(|i| ready.contains_key(i)));
        if now.is_empty() {
            let names: Vec<_> = later.iter().map(|m| m.table.name).collect();
            bail!("metric tables {names:?} wait for inputs nothing computes");
        }
        let frames = build_round(cfg, as_of, &now, ready)?;
        ready.extend(frames.into_iter().map(|(n, df)| (n, Input::Frame(df))));
        pending = later;
    }
    Ok(())
}

/// One round: every builder's plan, collected one after the other.
fn build_round(
    cfg: &Config,
    as_of: Date,
    round: &[&Metric],
    ready: &BTreeMap<&'static str, Input>,
) -> Result<Vec<(&'static str, DataFrame)>> {
    let mut done = Vec::new();
    let mut lazy = Vec::new();
    for m in round {
        let inputs = Inputs {
            cfg,
            as_of,
            metric: m.table.name,
            declared: m.inputs,
            ready,
        };
        let started = std::time::Instant::now();
        match (m.build)(&inputs)? {
            Plan::Lazy(lf) => lazy.push((m.table.name, lf)),
            Plan::Frame(df) => {
                let seconds = started.elapsed().as_secs_f64();
                tracing::info!(table = m.table.name, seconds, "metric computed");
                done.push((m.table.name, df))
            }
        }
    }
    // One plan at a time: the inputs are frames computed before (no scan to
    // share), and on two cores the plans running together gained no time
    // but held their intermediate frames at once (at ten million ratings
    // 773 MB against 722 MB; the same or less time).
    for (name, plan) in lazy {
        let started = std::time::Instant::now();
        done.push((name, plan.collect()?));
        let seconds = started.elapsed().as_secs_f64();
        tracing::info!(table = name, seconds, "metric computed");
    }
    Ok(done)
}

/// The input key the stored metrics would have if computed now, at their
/// own as-of date (None when never computed): equal to the manifest's
/// `metrics_input` when the tables and rules are unchanged since.
pub fn key_now(cfg: &Config, m: &Manifest) -> Option<String> {
    let as_of = crate::dates::parse_loose(m.computed_as_of.as_deref()?)?;
    Some(inputs_key(cfg, m, as_of))
}

/// What the metrics depend on, as one hash: the files of the input tables,
/// the as-of date and the configuration's rules (the rater key left out: a
/// hash of a secret is not stored). Equal keys mean equal metrics.
pub fn inputs_key(cfg: &Config, m: &Manifest, as_of: Date) -> String {
    use sha2::Digest;
    let mut rules = serde_json::to_value(cfg).unwrap_or_default();
    if let Some(o) = rules.as_object_mut() {
        o.remove("privacy");
        o.remove("paths");
    }
    let mut tables: Vec<_> = ["ratings", "subjects", "suggestions"]
        .iter()
        .map(|t| m.tables.get(*t).cloned().unwrap_or_default())
        .collect();
    // Case records count once there are any, so a warehouse without them
    // keeps the key it had before cases existed.
    if let Some(files) = m.tables.get("case_records").filter(|f| !f.is_empty()) {
        tables.push(files.clone());
    }
    let text = serde_json::json!({ "tables": tables, "as_of": as_of.to_string(), "rules": rules });
    crate::fsutil::hex(&sha2::Sha256::digest(text.to_string().as_bytes()))
}
