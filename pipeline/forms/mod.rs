//! `pingyi forms`: what people fill in, generated from the configuration and
//! the subject roster, so that what is typed is what ingest accepts
//! (DESIGN §9, "collection before ingest").
//!
//! One campaign (a period, optionally one township or org type) gives:
//! printable 测评表 (`sheet`: one HTML per subject group, PDF through the
//! reports' Chromium path), the Excel entry template (`workbook`) and a JSON
//! Schema for evaluation devices (`schema`). Every sheet carries a printed id
//! that is the `response_id` of the rows keyed from it. The folder is
//! published whole (staged beside its target, then swapped in).

pub mod groups;
pub mod period;
pub mod schema;
pub mod sheet;
pub mod workbook;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::config::{Config, Lang, Named};
use crate::render::{output::Staging, pdf};
use crate::warehouse::Warehouse;
use groups::Group;
use period::Period;

/// The rating columns a form yields, in the order a clerk reads a sheet:
/// its id, date and rater first, then one row per subject and item.
/// `rater_id` is left out on purpose (forms are anonymous), and `period`
/// because ingest derives it from the date.
pub const ENTRY_COLUMNS: [&str; 10] = [
    "response_id",
    "rated_at",
    "rater_category",
    "method",
    "channel",
    "subject_id",
    "item",
    "rating",
    "comment",
    // Who took the form (采集人): the integrity checks compare collectors.
    "collector",
];

pub struct Options {
    pub period: String,
    pub township: Option<String>,
    pub org_type: Option<String>,
    pub lang: Lang,
    pub out: Option<PathBuf>,
    pub copies: u32,
    pub method: Option<String>,
    pub channel: Option<String>,
    pub pdf: bool,
    pub chromium: Option<PathBuf>,
    pub templates: Option<PathBuf>,
    /// What `--out` may not name (the warehouse, inbox, …).
    pub protected: crate::outdir::Protected,
}

/// One campaign's forms: everything the outputs are generated from.
pub struct Campaign<'a> {
    pub cfg: &'a Config,
    pub period: Period,
    pub groups: Vec<Group>,
    pub copies: u32,
    pub method: String,
    pub channel: String,
    pub lang: Lang,
}

impl Campaign<'_> {
    /// The printed ids of a group's sheets: `2012Q3-ZZ0001-007`. The period
    /// keeps them unique across campaigns, which the duplicate check on
    /// (response_id, subject_id, item) needs.
    pub fn sheet_ids(&self, g: &Group) -> Vec<String> {
        (1..=self.copies)
            .map(|n| format!("{}-{}-{n:03}", self.period.label, g.code))
            .collect()
    }

    /// Every item any subject of the campaign is rated on, first seen first.
    pub fn items(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for item in self
            .groups
            .iter()
            .flat_map(|g| &g.sections)
            .flat_map(|s| &s.items)
        {
            if !out.contains(item) {
                out.push(item.clone());
            }
        }
        out
    }
}

/// The header a column carries in the county's files: its first configured
/// alias (the Chinese header), else the canonical name.
pub fn header(cfg: &Config, column: &str) -> String {
    cfg.columns
        .get(column)
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or_else(|| column.to_string())
}

pub struct Summary {
    pub out: PathBuf,
    pub groups: usize,
    pub sheets: usize,
    pub pdfs: usize,
}

pub fn run(cfg: &Config, wh: &Warehouse, opts: &Options) -> Result<Summary> {
    let period = Period::parse(&opts.period, cfg.period.granularity)?;
    let method = configured("--method", opts.method.as_deref(), "群众测评", &cfg.methods)?;
    let channel = configured(
        "--channel",
        opts.channel.as_deref(),
        "测评表",
        &cfg.channels,
    )?;
    let all = groups::build(cfg, &groups::read_subjects(wh)?);
    let groups = groups::filter(all, opts.township.as_deref(), opts.org_type.as_deref())?;
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("forms").join(&period.label));
    let campaign = Campaign {
        cfg,
        period,
        groups,
        copies: opts.copies,
        method,
        channel,
        lang: opts.lang,
    };
    // A missing Chromium is found before anything is written, but reported
    // after the forms are published: the HTML prints from any browser.
    let chromium = opts
        .pdf
        .then(|| pdf::find_chromium(opts.chromium.as_deref()));
    let staging = stage(&out, &opts.protected)?;
    let schemas = schema::write_all(&campaign, &staging.dir)?;
    workbook::write(&campaign, &staging.dir.join(workbook::file_name(&campaign)))?;
    let pages = sheet::write_all(&campaign, opts.templates.as_deref(), &schemas, &staging.dir)?;
    let pdfs = match chromium.as_ref().map(|c| c.as_ref()) {
        Some(Ok(exe)) => print(exe, &staging.dir, &pages)?,
        _ => 0,
    };
    let published = staging.publish()?;
    if let Some(Err(e)) = chromium {
        return Err(e);
    }
    Ok(Summary {
        out: published,
        groups: campaign.groups.len(),
        sheets: campaign.groups.len() * campaign.copies as usize,
        pdfs,
    })
}

/// `--method` / `--channel`, else `preferred` if configured, else the first
/// configured; a value that is not configured is an error listing them.
fn configured(flag: &str, given: Option<&str>, preferred: &str, names: &[Named]) -> Result<String> {
    let find = |v: &str| {
        names
            .iter()
            .find(|n| n.name == v || n.aliases.iter().any(|a| a == v))
            .map(|n| n.name.clone())
    };
    match given {
        Some(v) => find(v).with_context(|| {
            let all: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
            format!(
                "{flag} {v} is not configured; the configured ones are: {}",
                all.join(", ")
            )
        }),
        None => find(preferred)
            .or_else(|| names.first().map(|n| n.name.clone()))
            .with_context(|| format!("the configuration names no value for {flag}")),
    }
}

fn stage(out: &Path, protected: &crate::outdir::Protected) -> Result<Staging> {
    let name = out
        .file_name()
        .with_context(|| format!("--out {}: name a folder", out.display()))?
        .to_string_lossy()
        .into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    protected.folder("--out", out, "forms")?;
    crate::render::output::clean_leftovers(&parent)?;
    Staging::new(&parent, &name, "forms")
}

/// Prints each group's HTML beside it, in parallel (each Chromium is its
/// own process with its own profile).
fn print(chromium: &Path, dir: &Path, pages: &[String]) -> Result<usize> {
    pages
        .par_iter()
        .map(|html| {
            let src = dir.join(html);
            pdf::print_pdf(chromium, &src, &src.with_extension("pdf"))
        })
        .collect::<Result<Vec<()>>>()?;
    Ok(pages.len())
}
