//! `reports/index.html`: every edition that exists, each named and described
//! in its own language (中文版 / English), each file with what it is for.
//!
//! The page itself is in the configured language (`report.language`), not
//! the one just rendered: `report --lang en` adds the English edition's
//! entries and leaves the Chinese ones, and their wording, as they were.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::load::Data;
use super::model::Meta;
use super::templates::{Labels, Templates};
use crate::config::{Config, Lang};

#[derive(Serialize)]
struct Edition {
    /// `lang` attribute of the entry, so each is read in its own language.
    lang: String,
    name: String,
    reports: Vec<Report>,
}

#[derive(Serialize)]
struct Report {
    title: String,
    purpose: String,
    files: Vec<File>,
}

#[derive(Serialize)]
struct File {
    /// Folder and name apart: the template joins them with a literal `/`
    /// (an escaped value's `/` would read `&#x2f;` in the source).
    folder: String,
    name: String,
    what: String,
}

#[derive(Serialize)]
struct IndexPage {
    meta: Meta,
    editions: Vec<Edition>,
}

const AUDIENCES: [&str; 3] = ["leadership", "public", "units"];

pub fn write(
    current: &Templates,
    data: &Data,
    cfg: &Config,
    templates: Option<&Path>,
    reports: &Path,
) -> Result<()> {
    let labels_of = |lang: Lang| -> Result<Labels> {
        if current.labels.get("lang") == lang_attr(lang) {
            Ok(current.labels.clone())
        } else {
            Ok(Templates::load(templates, lang)?.labels)
        }
    };
    let mut editions = Vec::new();
    for lang in [Lang::Zh, Lang::En] {
        let code = super::lang_code(lang);
        let present: Vec<&str> = AUDIENCES
            .into_iter()
            .filter(|a| reports.join(format!("{a}-{code}")).is_dir())
            .collect();
        if present.is_empty() {
            continue;
        }
        let l = labels_of(lang)?;
        let reports = present
            .into_iter()
            .map(|a| report(reports, a, code, &l))
            .collect::<Result<_>>()?;
        editions.push(Edition {
            lang: l.get("lang"),
            name: l.get("edition_name"),
            reports,
        });
    }
    let page_t = if current.labels.get("lang") == lang_attr(cfg.report.language) {
        None
    } else {
        Some(Templates::load(templates, cfg.report.language)?)
    };
    let t = page_t.as_ref().unwrap_or(current);
    let page = IndexPage {
        meta: Meta::new(cfg, data, &t.labels, "index_title"),
        editions,
    };
    let html = t.render("index.html", &page)?;
    crate::fsutil::write_atomic(&reports.join("index.html"), html.as_bytes())
}

fn lang_attr(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh-CN",
        Lang::En => "en",
    }
}

/// One audience's folder: its title, what it is for, and its files.
fn report(reports: &Path, audience: &str, code: &str, l: &Labels) -> Result<Report> {
    let folder = format!("{audience}-{code}");
    let mut names: Vec<(String, bool)> = std::fs::read_dir(reports.join(&folder))?
        .filter_map(|e| e.ok())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.path().is_dir(),
            )
        })
        .filter(|(n, dir)| !n.starts_with('.') && (n.contains('.') || (*dir && n == "csv")))
        .collect();
    names.sort();
    let files = names
        .into_iter()
        .map(|(name, dir)| File {
            folder: folder.clone(),
            what: what(audience, &name, dir, l),
            name: if dir { format!("{name}/") } else { name },
        })
        .collect();
    Ok(Report {
        title: l.get(&format!("{audience}_title")),
        purpose: l.get(&format!("purpose_{audience}")),
        files,
    })
}

/// What a file is for: by name where one is special (the card index), else
/// by kind (web page, printable PDF, workbook, tables).
fn what(audience: &str, name: &str, dir: bool, l: &Labels) -> String {
    if dir {
        return l.get("file_csv_dir");
    }
    if audience == "units" && name == "index.html" {
        return l.get("file_units_index");
    }
    let ext = name.rsplit('.').next().unwrap_or_default();
    let key = format!("file_{ext}");
    match l.get(&key) {
        k if k == key => name.to_string(),
        what => what,
    }
}
