//! Run records: one JSON file per `pingyi run` in `warehouse/runs/`, written
//! when the run starts (status `running`) and replaced when it ends, so a
//! killed run leaves a trace. The next run closes such a record as
//! `interrupted`, with what its committed batch quarantined or refused, and
//! carries those counts into its own exit code until a finished run has
//! reported them (cron must see the exit 3 a killed run never returned).
//! The `runs` table of `pingyi query` is read from these files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::{Column, DataFrame};
use serde::{Deserialize, Serialize};

use crate::fsutil::AtomicFile;

pub const DIR: &str = "runs";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stage {
    pub name: String,
    pub outcome: StageOutcome,
    pub seconds: f64,
    pub detail: String,
}

/// What became of a stage of a run: serialized in snake_case, as run
/// records have always spelled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageOutcome {
    Done,
    /// Already current: nothing to do.
    Skipped,
    Failed,
}

impl StageOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            StageOutcome::Done => "done",
            StageOutcome::Skipped => "skipped",
            StageOutcome::Failed => "failed",
        }
    }
}

impl std::fmt::Display for StageOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// An input file as the run record keeps it (made from ingest's
/// `FileReport`, by `From` in `ingest`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Input {
    pub path: String,
    pub sha256: String,
    pub status: super::FileStatus,
    pub rows: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub message: String,
}

/// How a run ended (or that it has not): serialized in snake_case, as run
/// records have always spelled it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Started and not finished: still working, or killed (see `close_interrupted`).
    #[default]
    Running,
    Success,
    /// Finished; some rows were quarantined (exit 3).
    Quarantined,
    /// Finished; some file was refused whole (exit 4).
    Refused,
    Failed,
    /// Found `running` by a later run: the process died.
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Success => "success",
            RunStatus::Quarantined => "quarantined",
            RunStatus::Refused => "refused",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: u32,
    pub pid: u32,
    pub started_at: String,
    pub finished_at: String,
    pub as_of: String,
    pub status: RunStatus,
    pub exit_code: u8,
    pub seconds: f64,
    pub stages: Vec<Stage>,
    pub inputs: Vec<Input>,
    pub batch: Option<u32>,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
    pub files_refused: u64,
    pub breaches: Option<u64>,
    /// Of those, breaches on firm evidence (the rest need more ratings).
    #[serde(default)]
    pub breaches_firm: Option<u64>,
    /// 诫勉谈话 cases past their due date and not held (attention).
    #[serde(default)]
    pub cases_overdue: Option<u64>,
    pub outputs: Vec<String>,
    pub error: Option<String>,
    /// The last batch committed when the run started (what it commits
    /// comes after).
    #[serde(default)]
    pub batch_before: Option<u32>,
    /// Interrupted runs whose quarantine or refusals this run reports
    /// (they count toward its exit code), with their totals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reports_runs: Vec<u32>,
    #[serde(default)]
    pub earlier_quarantined: u64,
    #[serde(default)]
    pub earlier_refused: u64,
    /// On an interrupted run: the run that reported its quarantine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_by: Option<u32>,
}

impl RunRecord {
    pub fn path(warehouse: &Path, id: u32) -> PathBuf {
        warehouse.join(DIR).join(format!("run-{id:06}.json"))
    }

    pub fn store(&self, warehouse: &Path) -> Result<()> {
        let path = Self::path(warehouse, self.run_id);
        let mut out = AtomicFile::create(&path)?;
        serde_json::to_writer_pretty(out.writer(), self)?;
        out.commit()
    }
}

/// Closes the records of runs that died (status `running` while the caller
/// holds the lock) as `interrupted`, counting what the batches they
/// committed quarantined and refused, and returns every interrupted run
/// whose counts no finished run has reported yet.
pub fn close_interrupted(
    warehouse: &Path,
    manifest: &crate::warehouse::Manifest,
    closer: u32,
) -> Result<Vec<RunRecord>> {
    let mut unreported = Vec::new();
    for mut r in all(warehouse)? {
        if r.status == RunStatus::Running {
            // Batches committed after it started; the lock kept other runs
            // out, so they are its own (or a manual ingest's in between).
            let mine: Vec<&crate::warehouse::BatchRecord> = match r.batch_before {
                Some(before) => manifest.batches.iter().filter(|b| b.id > before).collect(),
                None => Vec::new(),
            };
            let files = mine.iter().flat_map(|b| &b.files);
            r.rows_quarantined = files.clone().map(|f| f.quarantined).sum();
            r.rows_accepted = files.clone().map(|f| f.accepted).sum();
            r.files_refused = files
                .filter(|f| f.status == crate::warehouse::FileStatus::Refused)
                .count() as u64;
            r.batch = mine.last().map(|b| b.id);
            r.status = RunStatus::Interrupted;
            r.exit_code = crate::exit::FAILURE;
            r.error = Some(format!(
                "interrupted: the process stopped before the run finished (killed, or the machine went down); closed by run {closer}"
            ));
            r.store(warehouse)?;
        }
        if r.status == RunStatus::Interrupted
            && r.reported_by.is_none()
            && (r.rows_quarantined > 0 || r.files_refused > 0)
        {
            unreported.push(r);
        }
    }
    Ok(unreported)
}

/// Every run record, oldest first (unreadable files are skipped with a warning).
pub fn all(warehouse: &Path) -> Result<Vec<RunRecord>> {
    let dir = warehouse.join(DIR);
    let mut runs = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(runs);
    };
    for e in entries {
        let path = e?.path();
        if path.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            match serde_json::from_str::<RunRecord>(&text) {
                Ok(r) => runs.push(r),
                Err(e) => tracing::warn!(file = %path.display(), %e, "unreadable run record"),
            }
        }
    }
    runs.sort_by_key(|r| r.run_id);
    Ok(runs)
}

pub fn next_id(warehouse: &Path) -> Result<u32> {
    Ok(all(warehouse)?.last().map_or(1, |r| r.run_id + 1))
}

/// The `runs` table: one row per run.
pub fn table(warehouse: &Path) -> Result<DataFrame> {
    let runs = all(warehouse)?;
    let strs = |f: fn(&RunRecord) -> String| runs.iter().map(f).collect::<Vec<_>>();
    let u64s = |f: fn(&RunRecord) -> u64| runs.iter().map(f).collect::<Vec<_>>();
    let stage_s = |name: &'static str| {
        runs.iter()
            .map(|r| r.stages.iter().find(|s| s.name == name).map(|s| s.seconds))
            .collect::<Vec<_>>()
    };
    Ok(DataFrame::new_infer_height(vec![
        Column::new(
            "run_id".into(),
            runs.iter().map(|r| r.run_id).collect::<Vec<_>>(),
        ),
        Column::new("started_at".into(), strs(|r| r.started_at.clone())),
        Column::new("finished_at".into(), strs(|r| r.finished_at.clone())),
        Column::new("as_of".into(), strs(|r| r.as_of.clone())),
        Column::new("status".into(), strs(|r| r.status.as_str().into())),
        Column::new(
            "exit_code".into(),
            runs.iter().map(|r| r.exit_code as u32).collect::<Vec<_>>(),
        ),
        Column::new(
            "seconds".into(),
            runs.iter().map(|r| r.seconds).collect::<Vec<_>>(),
        ),
        Column::new("ingest_s".into(), stage_s("ingest")),
        Column::new("compute_s".into(), stage_s("compute")),
        Column::new("report_s".into(), stage_s("report")),
        Column::new(
            "batch".into(),
            runs.iter().map(|r| r.batch).collect::<Vec<_>>(),
        ),
        Column::new("rows_accepted".into(), u64s(|r| r.rows_accepted)),
        Column::new("rows_quarantined".into(), u64s(|r| r.rows_quarantined)),
        Column::new("files_refused".into(), u64s(|r| r.files_refused)),
        Column::new(
            "breaches".into(),
            runs.iter().map(|r| r.breaches).collect::<Vec<_>>(),
        ),
        Column::new(
            "breaches_firm".into(),
            runs.iter().map(|r| r.breaches_firm).collect::<Vec<_>>(),
        ),
        Column::new(
            "error".into(),
            runs.iter().map(|r| r.error.clone()).collect::<Vec<_>>(),
        ),
    ])?)
}

#[cfg(test)]
mod tests {
    use super::RunStatus;

    /// `status` text and the `runs` table print `as_str`; run records hold
    /// the serde name: the two must not drift apart.
    #[test]
    fn the_text_name_of_a_run_status_is_its_json_name() {
        use RunStatus::*;
        for s in [Running, Success, Quarantined, Refused, Failed, Interrupted] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<RunStatus>(&json).unwrap(), s);
        }
    }

    #[test]
    fn the_text_name_of_a_stage_outcome_is_its_json_name() {
        use super::StageOutcome::{self, *};
        for s in [Done, Skipped, Failed] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<StageOutcome>(&json).unwrap(), s);
            assert_eq!(format!("{s:<8}|"), format!("{:<8}|", s.as_str()));
        }
    }
}
