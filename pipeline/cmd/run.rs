//! `pingyi run [--archive DIR] [--pdf] [--as-of DATE] [--verbose]`: the
//! nightly job (ingest the inbox → compute → report) for cron and systemd.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use super::report::RenderArgs;
use crate::run::{self, Options};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Move inputs whose content is committed here after the run (default: leave them in the inbox)
    #[arg(long, value_name = "DIR")]
    pub archive: Option<PathBuf>,
    #[command(flatten)]
    pub render: RenderArgs,
    /// The as-of date (default: report.as_of, else today)
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Progress on stderr even when it is not a terminal
    #[arg(long, short)]
    pub verbose: bool,
}

pub fn run(args: &RunArgs, explicit: Option<&Path>) -> Result<u8> {
    let loaded = super::load_config(explicit)?;
    let cfg = &loaded.config;
    let opts = Options {
        archive: args.archive.clone(),
        pdf: args.render.pdf,
        chromium: args.render.chromium.clone(),
        templates: args.render.templates.clone(),
        lang: args.render.lang(cfg.report.language),
        as_of: crate::dates::as_of(args.as_of.as_deref(), &cfg.report.as_of)?,
        verbose: args.verbose,
    };
    let rec = run::run(cfg, &opts)?;
    // Quiet under cron: the exit code and the run record say it all.
    if args.verbose || std::io::stdout().is_terminal() {
        for s in &rec.stages {
            println!(
                "{:<8} {:<8} {:>7.1} s  {}",
                s.name, s.outcome, s.seconds, s.detail
            );
        }
        println!(
            "run {} {}: {} rows accepted, {} quarantined, {} files refused, {} breaches; record {}",
            rec.run_id,
            rec.status,
            rec.rows_accepted,
            rec.rows_quarantined,
            rec.files_refused,
            rec.breaches.map_or("?".to_string(), |b| b.to_string()),
            crate::warehouse::runs::RunRecord::path(&cfg.paths.warehouse, rec.run_id).display()
        );
    }
    if !rec.reports_runs.is_empty() {
        // Said even under cron: this is why the exit code is not 0.
        eprintln!(
            "warning: interrupted run(s) {:?} committed {} quarantined rows and {} refused files that were never reported; see `pingyi status` and the quarantine",
            rec.reports_runs, rec.earlier_quarantined, rec.earlier_refused
        );
    }
    Ok(rec.exit_code)
}
