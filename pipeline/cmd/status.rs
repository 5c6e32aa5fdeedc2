//! `pingyi status [--runs N] [--json] [--verify]`: the last runs and their
//! outcome, batches, quarantined rows by reason, warehouse size, open
//! breaches, and whether every file the manifest lists is whole (size and
//! magic bytes; with `--verify`, every file's SHA-256). Exit 7 when one is not.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use crate::warehouse::runs::{self, RunRecord, RunStatus};
use crate::warehouse::{seal, Warehouse};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// How many of the last runs to show
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Print as JSON for machines
    #[arg(long)]
    pub json: bool,
    /// Check every warehouse file against the SHA-256 the manifest recorded
    /// (reads them all); without it, sizes and Parquet magic bytes only
    #[arg(long)]
    pub verify: bool,
}

#[derive(Debug, Serialize)]
struct Status {
    warehouse: String,
    bytes: u64,
    running: Option<String>,
    runs: Vec<RunRecord>,
    batches: usize,
    files_ingested: usize,
    quarantined_by_reason: BTreeMap<String, u64>,
    computed_as_of: Option<String>,
    /// Whether the metrics were computed from today's tables and rules
    /// (None: never computed).
    metrics_current: Option<bool>,
    /// Published report folders rendered from other metrics than the
    /// warehouse's (other rules, as-of date or data): re-render them.
    reports_stale: Vec<String>,
    breaches_by_window: BTreeMap<String, crate::warehouse::breaches::BreachCount>,
    /// 诫勉谈话 cases not held, and those overdue.
    cases: crate::warehouse::breaches::CaseCount,
    /// Files the manifest lists, how they were checked, the damaged ones.
    files_checked: usize,
    check: &'static str,
    damaged: Vec<String>,
}

pub fn run(args: &StatusArgs, explicit: Option<&Path>) -> Result<u8> {
    let loaded = super::load_config(explicit)?;
    let root = &loaded.config.paths.warehouse;
    let wh = Warehouse::at(root);
    let m = wh.manifest()?;
    let mut quarantined = BTreeMap::new();
    for f in m.batches.iter().flat_map(|b| &b.files) {
        for (reason, n) in &f.quarantined_by_reason {
            *quarantined.entry(reason.clone()).or_insert(0) += n;
        }
    }
    let (files_checked, damaged) = if args.verify {
        seal::verify(root, &m)
    } else {
        let files = m.tables.values().flatten().count();
        let damaged = m
            .tables
            .values()
            .flatten()
            .filter_map(|rel| seal::quick_check(root, &m, rel).err())
            .collect();
        (files, damaged)
    };
    let mut runs = runs::all(root)?;
    let keep = runs.len().saturating_sub(args.runs);
    runs.drain(..keep);
    let s = Status {
        warehouse: root.display().to_string(),
        bytes: size(root),
        running: std::fs::read_to_string(root.join(crate::lock::LOCK))
            .ok()
            .map(|t| t.trim().to_string()),
        runs,
        batches: m.batches.len(),
        files_ingested: m
            .batches
            .iter()
            .flat_map(|b| &b.files)
            .filter(|f| f.status == crate::warehouse::FileStatus::Ingested)
            .count(),
        quarantined_by_reason: quarantined,
        computed_as_of: m.computed_as_of.clone(),
        metrics_current: metrics_current(&loaded.config, &m),
        reports_stale: reports_stale(&loaded.config.paths.reports, &m),
        // A damaged metrics file is reported below, not a failure here.
        breaches_by_window: crate::warehouse::breaches::breaches_by_window(&wh).unwrap_or_default(),
        cases: crate::warehouse::breaches::cases_open(&wh).unwrap_or_default(),
        files_checked,
        check: if args.verify {
            "size, magic bytes and SHA-256"
        } else {
            "size and magic bytes"
        },
        damaged: damaged.iter().map(|d| d.to_string()).collect(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print(&s);
    }
    Ok(if s.damaged.is_empty() {
        crate::exit::SUCCESS
    } else {
        crate::exit::DAMAGED
    })
}

/// Whether the stored metrics' input key still matches the tables and the
/// configuration's rules at their as-of date.
fn metrics_current(cfg: &crate::config::Config, m: &crate::warehouse::Manifest) -> Option<bool> {
    let stored = m.metrics_input.as_deref()?;
    Some(crate::compute::key_now(cfg, m)? == stored)
}

/// Report folders whose stamp names other metrics than the stored ones.
fn reports_stale(reports: &Path, m: &crate::warehouse::Manifest) -> Vec<String> {
    let Some(current) = m.metrics_input.as_deref() else {
        return Vec::new();
    };
    let mut stale: Vec<String> = std::fs::read_dir(reports)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let stamp = std::fs::read_to_string(e.path().join(crate::report::STAMP)).ok()?;
            let from = stamp.split_whitespace().nth(1);
            (from != Some(current)).then(|| e.path().display().to_string())
        })
        .collect();
    stale.sort();
    stale
}

fn size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                size(&p)
            } else {
                e.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
}

fn print(s: &Status) {
    println!(
        "warehouse {} ({:.1} MiB)",
        s.warehouse,
        s.bytes as f64 / 1048576.0
    );
    if let Some(l) = &s.running {
        println!("locked by pid/started: {l}");
    }
    println!(
        "{} batches, {} files ingested; metrics as of {}",
        s.batches,
        s.files_ingested,
        s.computed_as_of.as_deref().unwrap_or("(not computed)")
    );
    if s.metrics_current == Some(false) {
        println!("metrics: computed under other rules or from other data than the warehouse and configuration hold now; `pingyi compute` (or `pingyi run`) recomputes them");
    }
    if !s.reports_stale.is_empty() {
        println!(
            "reports rendered from other metrics than the warehouse's (`pingyi report` or `pingyi run` renders them anew): {}",
            s.reports_stale.join(", ")
        );
    }
    let q: Vec<String> = s
        .quarantined_by_reason
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!(
        "quarantined rows by reason: {}",
        if q.is_empty() {
            "none".into()
        } else {
            q.join(", ")
        }
    );
    let b: Vec<String> = s
        .breaches_by_window
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}: {} on sufficient evidence ({} more possibly below or on too few people)",
                v.firm,
                v.all - v.firm
            )
        })
        .collect();
    println!(
        "诫勉谈话 list (breaches) by year: {}",
        if b.is_empty() {
            "none".into()
        } else {
            b.join("; ")
        }
    );
    println!(
        "诫勉谈话 cases: {} 待谈话, {} overdue (`pingyi cases --overdue`)",
        s.cases.pending, s.cases.overdue
    );
    if s.damaged.is_empty() {
        println!(
            "warehouse files: {} listed, all whole ({})",
            s.files_checked, s.check
        );
    } else {
        println!(
            "warehouse files: {} listed, {} DAMAGED ({}):",
            s.files_checked,
            s.damaged.len(),
            s.check
        );
        for d in &s.damaged {
            println!("  {d}");
        }
    }
    println!("last runs:");
    if s.runs.is_empty() {
        println!("  none yet (`pingyi run`)");
    }
    for r in &s.runs {
        let status = if r.status == RunStatus::Running
            && s.running
                .as_deref()
                .is_none_or(|l| !l.starts_with(&r.pid.to_string()))
        {
            RunStatus::Interrupted
        } else {
            r.status
        };
        println!(
            "  run {:>4}  {}  {:<11} exit {}  {:>6.1} s  accepted {:>9}  quarantined {:>6}  refused {}  breaches {} (firm {})  cases overdue {}",
            r.run_id,
            r.started_at,
            status,
            r.exit_code,
            r.seconds,
            r.rows_accepted,
            r.rows_quarantined,
            r.files_refused,
            r.breaches.map_or("-".to_string(), |b| b.to_string()),
            r.breaches_firm.map_or("-".to_string(), |b| b.to_string()),
            r.cases_overdue.map_or("-".to_string(), |b| b.to_string())
        );
    }
}
