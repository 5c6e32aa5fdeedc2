//! `pingyi run`: the nightly job. Under the warehouse lock: ingest what is
//! new in the inbox, compute the metrics if their inputs changed, render the
//! reports that are out of date, and leave a run record and a log.
//!
//! Each stage commits on its own (ingest and compute through the manifest,
//! reports by swapping folders), so a run killed anywhere leaves the
//! warehouse and the published reports as they were after the last finished
//! stage, and the next run does the rest. With nothing new, the run reads
//! the inbox's hashes, finds every stage current and changes nothing but its
//! run record and the log.

pub mod files;
pub mod log;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use crate::config::{Config, Lang};
use crate::dates::Date;
use crate::fsutil::{fault_point, now_utc};
use crate::ingest::{self, Hints};
use crate::lock::Lock;
use crate::report::{self, Audience};
use crate::warehouse::breaches::breaches_by_window;
use crate::warehouse::runs::{self, RunRecord, RunStatus, Stage, StageOutcome};
use crate::warehouse::Warehouse;

pub struct Options {
    pub archive: Option<PathBuf>,
    pub pdf: bool,
    pub chromium: Option<PathBuf>,
    pub templates: Option<PathBuf>,
    pub lang: Lang,
    pub as_of: Date,
    pub verbose: bool,
}

/// Runs the job; returns the run record (its `exit_code` is the process's).
pub fn run(cfg: &Config, opts: &Options) -> Result<RunRecord> {
    let root = &cfg.paths.warehouse;
    let _lock = Lock::acquire(root)?;
    let log = log::init(root, opts.verbose)?;
    let started = Instant::now();
    let manifest = Warehouse::at(root).manifest()?;
    let run_id = runs::next_id(root)?;
    let earlier = runs::close_interrupted(root, &manifest, run_id)?;
    let mut rec = RunRecord {
        run_id,
        pid: std::process::id(),
        started_at: now_utc(),
        as_of: opts.as_of.to_string(),
        status: RunStatus::Running,
        batch_before: Some(manifest.next_batch_id() - 1),
        reports_runs: earlier.iter().map(|r| r.run_id).collect(),
        earlier_quarantined: earlier.iter().map(|r| r.rows_quarantined).sum(),
        earlier_refused: earlier.iter().map(|r| r.files_refused).sum(),
        ..Default::default()
    };
    for r in &earlier {
        tracing::warn!(
            run = r.run_id,
            quarantined = r.rows_quarantined,
            refused = r.files_refused,
            "an interrupted run committed rows it never reported; counted in this run's exit code"
        );
    }
    rec.store(root)?;
    tracing::info!(run = rec.run_id, inbox = %cfg.paths.inbox.display(), log = %log.display(), "run started");
    let outcome = stages(cfg, opts, &mut rec);
    rec.seconds = started.elapsed().as_secs_f64();
    rec.finished_at = now_utc();
    match &outcome {
        Ok(()) => {
            rec.exit_code = exit_code(&rec);
            rec.status = match rec.exit_code {
                crate::exit::REFUSED => RunStatus::Refused,
                crate::exit::QUARANTINED => RunStatus::Quarantined,
                _ => RunStatus::Success,
            };
            tracing::info!(run = rec.run_id, status = %rec.status, seconds = rec.seconds, "run finished");
        }
        Err(e) => {
            rec.status = RunStatus::Failed;
            rec.exit_code = crate::failure::code_for(e);
            rec.error = Some(format!("{e:#}"));
            tracing::error!(run = rec.run_id, error = %format!("{e:#}"), "run failed");
        }
    }
    rec.store(root)?;
    if outcome.is_ok() {
        // Reported now, through this run's exit code: not again.
        for mut r in earlier {
            r.reported_by = Some(rec.run_id);
            r.store(root)?;
        }
    }
    outcome.map(|()| rec)
}

/// Refused files outrank quarantined rows; breaches are findings, not
/// failures. What interrupted runs committed and never reported counts too.
fn exit_code(rec: &RunRecord) -> u8 {
    if rec.files_refused + rec.earlier_refused > 0 {
        crate::exit::REFUSED
    } else if rec.rows_quarantined + rec.earlier_quarantined > 0 {
        crate::exit::QUARANTINED
    } else {
        crate::exit::SUCCESS
    }
}

fn stages(cfg: &Config, opts: &Options, rec: &mut RunRecord) -> Result<()> {
    let wh = Warehouse::open(&cfg.paths.warehouse)?;
    // Every listed data file whole before anything reads or adds to them (a
    // run with nothing new would otherwise read none and exit 0). Damaged
    // metrics are derived: the compute stage rebuilds them.
    crate::warehouse::seal::quick_check_data(&wh.root, &wh.manifest()?)?;
    timed(rec, "ingest", |rec| ingest_stage(cfg, opts, &wh, rec))?;
    fault_point("run-ingested");
    timed(rec, "compute", |_| compute_stage(cfg, opts, &wh))?;
    fault_point("run-computed");
    timed(rec, "report", |rec| report_stage(cfg, opts, &wh, rec))?;
    let year = opts.as_of.year.to_string();
    let counted = breaches_by_window(&wh)
        .ok()
        .map(|b| b.get(&year).copied().unwrap_or_default());
    rec.breaches = counted.map(|c| c.all);
    rec.breaches_firm = counted.map(|c| c.firm);
    rec.cases_overdue = crate::warehouse::breaches::cases_open(&wh)
        .ok()
        .map(|c| c.overdue);
    Ok(())
}

/// Runs a stage, recording its outcome and duration; `Ok(Some(detail))`
/// means done, `Ok(None)` skipped (already current).
fn timed(
    rec: &mut RunRecord,
    name: &str,
    stage: impl FnOnce(&mut RunRecord) -> Result<Option<String>>,
) -> Result<()> {
    let t = Instant::now();
    tracing::info!(stage = name, "stage started");
    let result = stage(rec);
    crate::fsutil::release_freed_memory();
    let (outcome, detail) = match &result {
        Ok(Some(d)) => (StageOutcome::Done, d.clone()),
        Ok(None) => (StageOutcome::Skipped, "up to date".to_string()),
        Err(e) => (StageOutcome::Failed, format!("{e:#}")),
    };
    let seconds = t.elapsed().as_secs_f64();
    tracing::info!(stage = name, outcome = outcome.as_str(), seconds, detail = %detail, "stage finished");
    rec.stages.push(Stage {
        name: name.into(),
        outcome,
        seconds,
        detail,
    });
    result.map(|_| ())
}

fn ingest_stage(
    cfg: &Config,
    opts: &Options,
    wh: &Warehouse,
    rec: &mut RunRecord,
) -> Result<Option<String>> {
    let inbox = &cfg.paths.inbox;
    if !inbox.is_dir() {
        anyhow::bail!(
            "the inbox {} does not exist; create it or set paths.inbox",
            inbox.display()
        );
    }
    let report = ingest::run(
        cfg,
        wh,
        std::slice::from_ref(inbox),
        &Hints {
            as_of: Some(opts.as_of),
            ..Hints::default()
        },
    )?;
    for f in report
        .files
        .iter()
        .filter(|f| f.status == crate::warehouse::FileStatus::Refused)
    {
        tracing::warn!(file = %f.path, reason = %f.message, "file refused");
    }
    files::reject(&wh.root, &report.files)?;
    if let Some(dir) = &opts.archive {
        let moved = files::archive(inbox, dir, &report.files)?;
        tracing::info!(moved, archive = %dir.display(), "inputs archived");
    }
    rec.inputs = report.files.iter().map(runs::Input::from).collect();
    rec.batch = report.batch;
    rec.rows_accepted = report.files.iter().map(|f| f.accepted).sum();
    rec.rows_quarantined = report.quarantined();
    rec.files_refused = report.refused() as u64;
    Ok(report.batch.map(|b| {
        format!(
            "batch {b}: {} rows accepted, {} quarantined, {} files refused",
            rec.rows_accepted, rec.rows_quarantined, rec.files_refused
        )
    }))
}

fn compute_stage(cfg: &Config, opts: &Options, wh: &Warehouse) -> Result<Option<String>> {
    let m = wh.manifest()?;
    let key = crate::compute::inputs_key(cfg, &m, opts.as_of);
    if m.metrics_input.as_deref() == Some(key.as_str())
        && !crate::warehouse::seal::metrics_damaged(&wh.root, &m)
    {
        return Ok(None);
    }
    let summary = crate::compute::run(cfg, wh, opts.as_of)?;
    let rows: usize = summary.tables.iter().map(|(_, n)| n).sum();
    Ok(Some(format!(
        "{} tables, {rows} rows, as of {}",
        summary.tables.len(),
        summary.as_of
    )))
}

fn report_stage(
    cfg: &Config,
    opts: &Options,
    wh: &Warehouse,
    rec: &mut RunRecord,
) -> Result<Option<String>> {
    // A report killed mid-render leaves hidden staging folders; the render
    // below removes them only when something is out of date, so the run
    // sweeps them every night.
    crate::render::output::clean_leftovers(&cfg.paths.reports)?;
    let summary = report::run(
        cfg,
        wh,
        &report::Options {
            audience: Audience::All,
            lang: opts.lang,
            pdf: opts.pdf,
            chromium: opts.chromium.clone(),
            templates: opts.templates.clone(),
            as_of: None,
            only_if_changed: true,
        },
    )?;
    rec.outputs = summary
        .folders
        .iter()
        .chain(&summary.unchanged)
        .map(|p| p.display().to_string())
        .collect();
    Ok((!summary.folders.is_empty()).then(|| {
        format!(
            "{} folders published, {} unit cards, {} PDFs",
            summary.folders.len(),
            summary.cards,
            summary.pdfs
        )
    }))
}
