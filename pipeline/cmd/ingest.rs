//! `pingyi ingest [PATH...]`: exports, rosters and ledgers into the warehouse.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use crate::config::Encoding;
use crate::contract::Kind;
use crate::ingest::{self, Hints, Report};
use crate::warehouse::{FileStatus, Warehouse};

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files or folders to ingest (default: the configured inbox)
    pub paths: Vec<PathBuf>,
    /// What the files hold, when their headers do not say
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Text encoding of CSV files (default: detected)
    #[arg(long, value_enum)]
    pub encoding: Option<EncodingArg>,
    /// Read only this sheet of workbooks
    #[arg(long)]
    pub sheet: Option<String>,
    /// Print the report as JSON for machines
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum KindArg {
    Ratings,
    Subjects,
    Raters,
    Ledger,
    Cases,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum EncodingArg {
    #[value(name = "utf-8")]
    Utf8,
    Gb18030,
}

/// Exit code of an ingest: refused files outrank quarantined rows.
pub fn code(report: &Report) -> u8 {
    if report.refused() > 0 {
        crate::exit::REFUSED
    } else if report.quarantined() > 0 {
        crate::exit::QUARANTINED
    } else {
        crate::exit::SUCCESS
    }
}

pub fn run(args: &IngestArgs, explicit: Option<&Path>) -> Result<u8> {
    let loaded = super::load_config(explicit)?;
    let cfg = &loaded.config;
    let paths = if args.paths.is_empty() {
        vec![cfg.paths.inbox.clone()]
    } else {
        args.paths.clone()
    };
    let hints = Hints {
        kind: args.kind.map(|k| match k {
            KindArg::Ratings => Kind::Ratings,
            KindArg::Subjects => Kind::Subjects,
            KindArg::Raters => Kind::Raters,
            KindArg::Ledger => Kind::Ledger,
            KindArg::Cases => Kind::Cases,
        }),
        encoding: args.encoding.map(|e| match e {
            EncodingArg::Utf8 => Encoding::Utf8,
            EncodingArg::Gb18030 => Encoding::Gb18030,
        }),
        sheet: args.sheet.clone(),
        as_of: None,
    };
    let wh = Warehouse::open(&cfg.paths.warehouse)?;
    let _lock = crate::lock::Lock::acquire(&wh.root)?;
    if std::io::stderr().is_terminal() && !args.json {
        eprintln!("ingesting into {} …", cfg.paths.warehouse.display());
    }
    let report = ingest::run(cfg, &wh, &paths, &hints)?;
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[K"); // clear the progress line
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(code(&report))
}

fn print_report(r: &Report) {
    for f in &r.files {
        let reasons: Vec<String> = f
            .quarantined_by_reason
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let detail = if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join(", "))
        };
        match f.status {
            FileStatus::Ingested => println!(
                "ingested  {:<8} {:>9} rows {:>9} accepted {:>6} quarantined{detail}  {}{}",
                f.kind.as_deref().unwrap_or("-"),
                f.rows,
                f.accepted,
                f.quarantined,
                f.path,
                if f.message.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", f.message)
                }
            ),
            status => println!(
                "{:<9} {}: {}",
                status.as_str().replace('_', " "),
                f.path,
                f.message
            ),
        }
    }
    match r.batch {
        Some(b) => {
            let accepted: u64 = r.files.iter().map(|f| f.accepted).sum();
            println!(
                "batch {b} committed: {accepted} rows accepted, {} quarantined, {} files refused",
                r.quarantined(),
                r.refused()
            );
            if let Some(csv) = &r.quarantine_csv {
                println!("quarantined rows, with line, column and reason: {csv}");
            }
        }
        None => println!("nothing new to ingest"),
    }
}
