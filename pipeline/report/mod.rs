//! `pingyi report`: the metrics tables rendered for their readers (DESIGN §6).
//!
//! Stage shape: `load` reads the committed metrics into typed rows; each
//! audience module (`leadership`, `public`, `units`) builds a serializable
//! view model; `templates` renders it through minijinja into single-file
//! HTML with inline CSS and SVG (`charts`); `tables` writes the HR workbook
//! and CSVs; `pdf` prints through headless Chromium; `output` publishes each
//! audience's folder whole. Nothing here reads the clock: the as-of date of
//! the metrics dates every output, so equal inputs give equal bytes.

pub mod actions;
pub mod attention;
pub mod benchmark;
pub mod change;
pub mod charts;
pub mod estimate;
pub mod index;
pub mod integrity;
pub mod leadership;
pub mod ledger;
pub mod load;
pub mod method;
pub mod model;
pub mod notice;
pub mod public;
pub mod redact;
pub mod rows;
pub mod rule_window;
pub mod summary;
pub mod suppress;
pub mod tables;
pub mod units;

// The rendering the forms share, under the names the sections use.
pub use crate::render::{format, output, pdf, templates};

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use rayon::prelude::*;
use serde::Serialize;

use crate::config::{Config, Lang};
use crate::warehouse::Warehouse;
use load::Data;
use output::Staging;
use templates::Templates;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Audience {
    Leadership,
    Public,
    Units,
    All,
}

impl Audience {
    fn name(self) -> &'static str {
        match self {
            Audience::Leadership => "leadership",
            Audience::Public => "public",
            Audience::Units => "units",
            Audience::All => "all",
        }
    }
}

pub struct Options {
    pub audience: Audience,
    pub lang: Lang,
    pub pdf: bool,
    pub chromium: Option<PathBuf>,
    pub templates: Option<PathBuf>,
    pub as_of: Option<String>,
    /// Skip an audience whose published folder was rendered from the same
    /// metrics, templates and options (`run` with nothing new).
    pub only_if_changed: bool,
}

/// Stamp file in each published folder: what it was rendered from (a hash
/// of everything, then the metrics' input key, which `pingyi status`
/// compares with the warehouse's to say whether the reports are current).
pub const STAMP: &str = ".stamp";

/// What was published where.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub as_of: String,
    pub folders: Vec<PathBuf>,
    /// Folders left as they were: already rendered from the same inputs.
    pub unchanged: Vec<PathBuf>,
    pub cards: usize,
    pub pdfs: usize,
}

pub fn run(cfg: &Config, wh: &Warehouse, opts: &Options) -> Result<Summary> {
    crate::outdir::check_reports_root(cfg)?;
    let reports = &cfg.paths.reports;
    let lang = lang_code(opts.lang);
    let audiences: Vec<Audience> = match opts.audience {
        Audience::All => vec![Audience::Leadership, Audience::Public, Audience::Units],
        one => vec![one],
    };
    // The stamp needs only the manifest: a run with nothing new decides
    // here, without reading the metrics or loading templates.
    let manifest = wh.manifest()?;
    let metrics_input = manifest.metrics_input.as_deref().unwrap_or("");
    let stamp = format!("{} {metrics_input}", stamp(metrics_input, opts)?);
    let folder = |a: &Audience| reports.join(format!("{}-{lang}", a.name()));
    let (todo, unchanged): (Vec<Audience>, Vec<Audience>) = audiences.into_iter().partition(|a| {
        !opts.only_if_changed
            || std::fs::read_to_string(folder(a).join(STAMP))
                .ok()
                .as_deref()
                != Some(stamp.as_str())
    });
    if todo.is_empty() && reports.join("index.html").exists() {
        return Ok(Summary {
            as_of: manifest.computed_as_of.unwrap_or_default(),
            folders: Vec::new(),
            unchanged: unchanged.iter().map(folder).collect(),
            cards: 0,
            pdfs: 0,
        });
    }
    let started = std::time::Instant::now();
    let mut data = load::load(wh, &cfg.calendar.load()?)?;
    // `load` read the metrics' as-of date from this manifest.
    data.stale = crate::compute::key_now(cfg, &manifest)
        .is_some_and(|key| Some(key) != manifest.metrics_input);
    if data.stale {
        tracing::warn!("the metrics were computed under other rules or from other data; the reports say so: run `pingyi compute` and render again");
        eprintln!("warning: the metrics in {} were computed under other rules or from other data than the warehouse and configuration hold now; the reports say so on every page. Run `pingyi compute` (or `pingyi run`) and render again.", wh.root.display());
    }
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(seconds, "metrics loaded");
    if let Some(a) = opts.as_of.as_deref().filter(|a| *a != data.as_of) {
        bail!(
            "the metrics in {} are as of {}, not {a}; run `pingyi compute --as-of {a}` first, or leave out --as-of",
            wh.root.display(),
            data.as_of
        );
    }
    let t = Templates::load(opts.templates.as_deref(), opts.lang)?;
    output::clean_leftovers(reports)?;
    // Found before rendering, but a missing Chromium fails only after the
    // HTML reports are published: they are worth having on their own.
    let chromium = opts
        .pdf
        .then(|| pdf::find_chromium(opts.chromium.as_deref()));
    let printer = chromium
        .as_ref()
        .and_then(|c| c.as_ref().ok())
        .map(PathBuf::as_path);
    let done: Vec<Published> = todo
        .par_iter()
        .map(|a| render(*a, cfg, &data, &t, reports, lang, printer, &stamp))
        .collect::<Result<_>>()?;
    index::write(&t, &data, cfg, opts.templates.as_deref(), reports)?;
    if let Some(Err(e)) = chromium {
        return Err(e);
    }
    Ok(Summary {
        as_of: data.as_of,
        folders: done.iter().map(|d| d.folder.clone()).collect(),
        unchanged: unchanged.iter().map(folder).collect(),
        cards: done.iter().map(|d| d.cards).sum(),
        pdfs: done.iter().map(|d| d.pdfs).sum(),
    })
}

/// What a rendering depends on: the metrics' inputs, the options that
/// change output, the template override folder's files, this pingyi.
fn stamp(metrics_input: &str, opts: &Options) -> Result<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let head = format!(
        "{}|{}|{}|{}",
        metrics_input,
        lang_code(opts.lang),
        opts.pdf,
        env!("CARGO_PKG_VERSION")
    );
    h.update(head.as_bytes());
    if let Some(dir) = &opts.templates {
        let mut files: Vec<PathBuf> = Vec::new();
        for sub in [dir.clone(), dir.join("i18n")] {
            for e in std::fs::read_dir(&sub).into_iter().flatten().flatten() {
                if e.path().is_file() {
                    files.push(e.path());
                }
            }
        }
        files.sort();
        for f in files {
            h.update(f.to_string_lossy().as_bytes());
            h.update(std::fs::read(&f)?);
        }
    }
    Ok(crate::fsutil::hex(&h.finalize()))
}

pub fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

struct Published {
    folder: PathBuf,
    cards: usize,
    pdfs: usize,
}

/// Renders one audience into its staging folder and publishes it as
/// `reports/AUDIENCE-LANG/`.
#[allow(clippy::too_many_arguments)] // each is a different input of one render
fn render(
    audience: Audience,
    cfg: &Config,
    data: &Data,
    t: &Templates,
    reports: &Path,
    lang: &str,
    printer: Option<&Path>,
    stamp: &str,
) -> Result<Published> {
    let stage = Staging::new(reports, &format!("{}-{lang}", audience.name()), "report")?;
    let dir = stage.dir.clone();
    let mut cards = 0;
    let mut pages = Vec::new();
    match audience {
        Audience::Leadership => {
            let m = leadership::build(cfg, data, &t.labels, lang);
            write(
                &dir.join("leadership.html"),
                &t.render("leadership.html", &m)?,
            )?;
            let mut sheets = tables::hr_sheets(&m, &t.labels);
            sheets.insert(3, tables::grades_sheet(data, &t.labels));
            crate::sheet::write_xlsx(&sheets, &data.as_of, &dir.join("hr.xlsx"))?;
            for s in &sheets {
                crate::sheet::write_csv(s, &dir.join("csv").join(format!("{}.csv", s.file)))?;
            }
            // Every integrity flag: the page lists the largest of each check.
            let flags = integrity::rows(data, &model::Index::new(data), &t.labels);
            crate::sheet::write_csv(
                &tables::integrity_sheet(&flags, &t.labels),
                &dir.join("csv").join("integrity.csv"),
            )?;
            pages.push("leadership");
        }
        Audience::Public => {
            let m = public::build(cfg, data, &t.labels);
            write(&dir.join("public.html"), &t.render("public.html", &m)?)?;
            crate::sheet::write_csv(
                &tables::public_sheet(&m, &t.labels),
                &dir.join("public.csv"),
            )?;
            pages.push("public");
        }
        Audience::Units => cards = units::render(cfg, data, t, &dir)?,
        Audience::All => unreachable!("expanded by the caller"),
    }
    let mut pdfs = 0;
    if let Some(chromium) = printer {
        for page in pages {
            pdf::print_pdf(
                chromium,
                &dir.join(format!("{page}.html")),
                &dir.join(format!("{page}.pdf")),
            )?;
            pdfs += 1;
        }
    }
    write(&dir.join(STAMP), stamp)?;
    let folder = stage.publish()?;
    Ok(Published {
        folder,
        cards,
        pdfs,
    })
}

fn write(path: &Path, text: &str) -> Result<()> {
    crate::fsutil::write_atomic(path, text.as_bytes())
}
