//! `pingyi report [--audience leadership|public|units|all] [--lang zh|en]
//! [--pdf] [--chromium PATH] [--templates DIR] [--as-of DATE]`: renders the
//! computed metrics into `paths.reports`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use crate::config::Lang;
use crate::report::{self, Audience, Options};
use crate::warehouse::Warehouse;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which reports: leadership (领导阅览版, with the HR workbook), public (公示版), units (one card per subject), or all
    #[arg(long, value_enum, default_value = "all")]
    pub audience: Audience,
    #[command(flatten)]
    pub render: RenderArgs,
    /// Insist that the metrics are as of this date (YYYY-MM-DD); they are dated by `pingyi compute --as-of`
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

/// How reports are rendered: shared by `report` and `run`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Language of the reports (default: report.language)
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Also print the leadership and public reports to PDF through headless Chromium
    #[arg(long)]
    pub pdf: bool,
    /// The Chromium to print with (default: chromium, chromium-browser or google-chrome on PATH)
    #[arg(long, value_name = "PATH")]
    pub chromium: Option<PathBuf>,
    /// A folder of templates and labels that override the built-in ones file by file
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

impl RenderArgs {
    /// `--lang`, else the configured language.
    pub fn lang(&self, configured: Lang) -> Lang {
        LangArg::or(self.lang, configured)
    }
}

/// `--lang` of the commands that print (`report`, `run`, `forms`).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LangArg {
    Zh,
    En,
}

impl LangArg {
    /// The language `--lang` asks for, else the configured one.
    pub fn or(arg: Option<LangArg>, configured: Lang) -> Lang {
        match arg {
            Some(LangArg::Zh) => Lang::Zh,
            Some(LangArg::En) => Lang::En,
            None => configured,
        }
    }
}

pub fn run(args: &ReportArgs, explicit: Option<&Path>) -> Result<()> {
    let loaded = super::load_config(explicit)?;
    let cfg = &loaded.config;
    let as_of = match args.as_of.as_deref() {
        Some(a) => Some(crate::dates::as_of(Some(a), "")?.to_string()),
        None => None,
    };
    let opts = Options {
        audience: args.audience,
        lang: args.render.lang(cfg.report.language),
        pdf: args.render.pdf,
        chromium: args.render.chromium.clone(),
        templates: args.render.templates.clone(),
        as_of,
        only_if_changed: false,
    };
    // No warehouse lock: report only reads the committed snapshot the
    // manifest names, and publishes each folder whole, so it may run beside
    // an ingest (the nightly `run` holds the lock through all its stages).
    let wh = Warehouse::at(&cfg.paths.warehouse);
    // Reports rest on the whole warehouse (the footnotes cite its inputs):
    // a damaged file anywhere is named, not published over.
    crate::warehouse::seal::quick_check_all(&wh.root, &wh.manifest()?)?;
    let summary = report::run(cfg, &wh, &opts)?;
    for folder in &summary.folders {
        println!("published {}", folder.display());
    }
    if summary.cards > 0 {
        println!("{} unit cards", summary.cards);
    }
    if summary.pdfs > 0 {
        println!("{} PDFs", summary.pdfs);
    }
    println!(
        "reports as of {} in {}",
        summary.as_of,
        cfg.paths.reports.display()
    );
    Ok(())
}
