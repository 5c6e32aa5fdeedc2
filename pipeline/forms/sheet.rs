//! The printable 测评表: one HTML file per subject group, `copies` sheets in
//! it, each starting on a new A4 page with its own printed id, plus an
//! `index.html` listing the groups. Rendered from a view model through the
//! report template set (`forms/form.html`, `forms/index.html`), so
//! `--templates DIR` overrides them like the reports' and `DIR/forms/i18n/`
//! the form's labels; every name is HTML-escaped by the template engine.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::groups::{Group, Section};
use super::{header, Campaign};
use crate::config::Lang;
use crate::fsutil::write_atomic;
use crate::render::templates::Templates;

const LABELS_ZH: &str = include_str!("../../report-templates/forms/i18n/zh.toml");
const LABELS_EN: &str = include_str!("../../report-templates/forms/i18n/en.toml");

#[derive(Serialize)]
struct Page<'a> {
    lang: &'static str,
    l: &'a BTreeMap<String, String>,
    issuer: &'a str,
    period: String,
    township: &'a str,
    unit: &'a str,
    sheets: Vec<String>,
    id_header: String,
    scale: Vec<String>,
    legend: Vec<String>,
    categories: Vec<String>,
    method: &'a str,
    channel: &'a str,
    sections: Vec<SectionView<'a>>,
}

#[derive(Serialize)]
struct SectionView<'a> {
    title: String,
    items: &'a [String],
    rows: Vec<Row<'a>>,
}

#[derive(Serialize)]
struct Row<'a> {
    no: usize,
    id: &'a str,
    name: &'a str,
    detail: Option<&'a str>,
}

#[derive(Serialize)]
struct Index<'a> {
    lang: &'static str,
    l: &'a BTreeMap<String, String>,
    issuer: &'a str,
    period: String,
    groups: Vec<IndexRow<'a>>,
    workbook: String,
    schemas: &'a [String],
    sheets: usize,
}

#[derive(Serialize)]
struct IndexRow<'a> {
    file: String,
    code: &'a str,
    township: &'a str,
    unit: &'a str,
    org_type: &'a str,
    subjects: usize,
    first_id: String,
    last_id: String,
}

/// Writes every group's HTML and the index into `dir`; returns the groups'
/// file names (for printing).
pub fn write_all(
    c: &Campaign,
    templates: Option<&Path>,
    schemas: &[String],
    dir: &Path,
) -> Result<Vec<String>> {
    let t = Templates::load(templates, c.lang)?;
    let l = labels(templates, c.lang)?;
    let mut files = Vec::new();
    for g in &c.groups {
        let file = format!("{}.html", g.code);
        let html = t.render("forms/form.html", &page(c, &l, g))?;
        write_atomic(&dir.join(&file), html.as_bytes())?;
        files.push(file);
    }
    let html = t.render("forms/index.html", &index(c, &l, schemas))?;
    write_atomic(&dir.join("index.html"), html.as_bytes())?;
    Ok(files)
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

fn page<'a>(c: &'a Campaign, l: &'a BTreeMap<String, String>, g: &'a Group) -> Page<'a> {
    Page {
        lang: lang_code(c.lang),
        l,
        issuer: &c.cfg.report.issuer,
        period: c.period.printed(c.lang),
        township: &g.township,
        unit: &g.unit,
        sheets: c.sheet_ids(g),
        // The workbook's header for the column, unless the labels name it.
        id_header: l
            .get("sheet_id")
            .cloned()
            .unwrap_or_else(|| header(c.cfg, "response_id")),
        scale: scale(c),
        legend: legend(c),
        categories: c
            .cfg
            .rater_categories
            .iter()
            .map(|r| r.name.clone())
            .collect(),
        method: &c.method,
        channel: &c.channel,
        sections: g.sections.iter().map(|s| section(l, s)).collect(),
    }
}

/// The scale labels to tick, as configured (ingest maps exactly these).
fn scale(c: &Campaign) -> Vec<String> {
    c.cfg.scale.iter().map(|s| s.label.clone()).collect()
}

/// In English, what each label means, from its first ASCII alias
/// (`满意 = satisfied`): the grid's columns are too narrow for both.
fn legend(c: &Campaign) -> Vec<String> {
    if c.lang == Lang::Zh {
        return Vec::new();
    }
    c.cfg
        .scale
        .iter()
        .filter_map(|s| {
            let en = s.aliases.iter().find(|a| a.is_ascii())?;
            Some(format!("{} = {en}", s.label))
        })
        .collect()
}

fn section<'a>(l: &BTreeMap<String, String>, s: &'a Section) -> SectionView<'a> {
    let key = match s.kind.as_str() {
        "组织" => "organizations",
        "干部" => "cadres",
        _ => "subjects",
    };
    SectionView {
        title: l.get(key).cloned().unwrap_or_else(|| s.kind.clone()),
        items: &s.items,
        rows: s
            .subjects
            .iter()
            .enumerate()
            .map(|(i, x)| Row {
                no: i + 1,
                id: &x.id,
                name: &x.name,
                detail: x.position.as_deref(),
            })
            .collect(),
    }
}

fn index<'a>(c: &'a Campaign, l: &'a BTreeMap<String, String>, schemas: &'a [String]) -> Index<'a> {
    Index {
        lang: lang_code(c.lang),
        l,
        issuer: &c.cfg.report.issuer,
        period: c.period.printed(c.lang),
        workbook: super::workbook::file_name(c),
        schemas,
        sheets: c.groups.len() * c.copies as usize,
        groups: c
            .groups
            .iter()
            .map(|g| {
                let ids = c.sheet_ids(g);
                IndexRow {
                    file: format!("{}.html", g.code),
                    code: &g.code,
                    township: &g.township,
                    unit: &g.unit,
                    org_type: &g.org_type,
                    subjects: g.subjects().count(),
                    first_id: ids.first().cloned().unwrap_or_default(),
                    last_id: ids.last().cloned().unwrap_or_default(),
                }
            })
            .collect(),
    }
}

/// The form's labels: built in, with `DIR/forms/i18n/<lang>.toml` on top
/// key by key (as the reports' labels are overridden).
fn labels(dir: Option<&Path>, lang: Lang) -> Result<BTreeMap<String, String>> {
    let builtin = match lang {
        Lang::Zh => LABELS_ZH,
        Lang::En => LABELS_EN,
    };
    let file = format!("forms/i18n/{}.toml", lang_code(lang));
    crate::render::templates::merged_labels(builtin, dir, &file)
}
