//! `pingyi ledger [--view open|overdue|closed] [filters] [--out FILE]`: the
//! rectification ledger's views for the 整改销号台账 meeting, and
//! `pingyi ledger --history ID` for one item's recorded versions. With
//! `--out FILE.xlsx` all three views go into one workbook.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::fsutil::write_atomic;
use crate::ledger::{Filter, Ledger, View};
use crate::query::{self, Format};
use crate::warehouse::Warehouse;

#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// Which items: open (未整改/整改中), overdue, or closed (已销号) with the rate before and after
    #[arg(long, value_enum, default_value = "overdue")]
    pub view: View,
    /// Overdue means a deadline before this date (YYYY-MM-DD; default: report.as_of, else today)
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Closed view: only items closed on or after this date ("recently closed")
    #[arg(long, value_name = "DATE")]
    pub closed_since: Option<String>,
    /// Only this township (乡镇)
    #[arg(long)]
    pub township: Option<String>,
    /// Only this subject (被评议对象编号)
    #[arg(long, value_name = "ID")]
    pub subject: Option<String>,
    /// Only this owner (责任人)
    #[arg(long)]
    pub owner: Option<String>,
    /// Only this category (问题类别)
    #[arg(long)]
    pub category: Option<String>,
    /// Every recorded version of one item (台账编号), oldest first
    #[arg(long, value_name = "ID", conflicts_with_all = ["view", "closed_since"])]
    pub history: Option<String>,
    /// Output format on standard output
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write to FILE: .xlsx holds all three views as sheets; .csv/.jsonl the chosen view
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: &LedgerArgs, explicit: Option<&Path>) -> Result<()> {
    let loaded = super::load_config(explicit)?;
    let cfg = &loaded.config;
    if let Some(path) = &args.out {
        crate::outdir::Protected::new(cfg, &loaded.origin).file("--out", path)?;
    }
    let as_of = crate::dates::as_of(args.as_of.as_deref(), &cfg.report.as_of)?;
    let wh = Warehouse::open(&cfg.paths.warehouse)?;
    let manifest = wh.manifest()?;
    for needed in ["suggestions", "subject_period"] {
        if !manifest.tables.contains_key(needed) {
            bail!(
                "the warehouse has no `{needed}` table yet: ingest the ledger (整改销号台账) and run `pingyi compute` first"
            );
        }
    }
    let calendar = cfg.calendar.load()?;
    let ledger = Ledger {
        calendar: &calendar,
        wh: &wh,
        manifest: &manifest,
        as_of,
        granularity: cfg.period.granularity,
    };
    if let Some(id) = &args.history {
        let mut df = ledger.history(id)?;
        if df.height() == 0 {
            bail!("no item `{id}` in the ledger's history");
        }
        return query::write(
            &mut df,
            args.format,
            query::CsvOptions::default(),
            &mut std::io::stdout().lock(),
        );
    }
    let filter = Filter {
        township: args.township.clone(),
        subject: args.subject.clone(),
        owner: args.owner.clone(),
        category: args.category.clone(),
        closed_since: args
            .closed_since
            .as_deref()
            .map(|d| {
                crate::dates::parse_loose(d).with_context(|| {
                    format!("--closed-since `{d}` is not a date; write YYYY-MM-DD")
                })
            })
            .transpose()?,
    };
    match &args.out {
        Some(path)
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) =>
        {
            let views = [
                (View::Overdue, "逾期未整改"),
                (View::Open, "未销号"),
                (View::Closed, "已销号"),
            ];
            let mut sheets = Vec::new();
            for (view, name) in views {
                sheets.push((name, ledger.view(view, &filter)?));
            }
            write_atomic(path, &query::xlsx(&sheets)?)?;
            let counts: Vec<String> = sheets
                .iter()
                .map(|(n, df)| format!("{n} {}", df.height()))
                .collect();
            eprintln!(
                "wrote {} (as of {as_of}): {}",
                path.display(),
                counts.join(", ")
            );
            Ok(())
        }
        Some(path) => {
            let format = Format::from_extension(path).unwrap_or(args.format);
            let mut df = ledger.view(args.view, &filter)?;
            query::write_file(
                &mut df,
                format,
                query::CsvOptions {
                    bom: format == Format::Csv,
                    raw: false,
                },
                path,
            )?;
            eprintln!("wrote {} items to {}", df.height(), path.display());
            Ok(())
        }
        None => {
            let mut df = ledger.view(args.view, &filter)?;
            query::write(
                &mut df,
                args.format,
                query::CsvOptions::default(),
                &mut std::io::stdout().lock(),
            )
        }
    }
}
