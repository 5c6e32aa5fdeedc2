//! Tabular outputs: the HR workbook (.xlsx: breach list, watchlist, grades,
//! rankings, ledger) and CSVs in UTF-8 with BOM so Excel shows Chinese. A
//! `Sheet` is written both ways, so the workbook and the CSVs always agree.
//! Creation time in the workbook is the as-of date: same inputs, same bytes.

use std::path::Path;

use anyhow::Result;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

use super::leadership::Leadership;
use super::public::Public;
use super::templates::Labels;
use crate::dates::{parse_loose, Date};
use crate::fsutil::write_atomic;

/// A cell keeps its type to the workbook: numbers and dates stay numbers
/// and dates, so HR can sort, sum and filter them in Excel.
pub enum Cell {
    Text(String),
    Int(u64),
    /// A rate 0..1, shown as a percentage; `None` is empty (no rate, or suppressed).
    Pct(Option<f64>),
    /// A change in percentage points (already ×100), shown signed.
    Points(Option<f64>),
    /// A date as `YYYY-MM-DD` (empty or unparsable: written as text).
    Date(String),
}

pub struct Sheet {
    /// Sheet name in the workbook and CSV file stem.
    pub name: String,
    pub file: &'static str,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    fn new(labels: &Labels, name_key: &str, file: &'static str, headers: &[&str]) -> Sheet {
        Sheet {
            name: labels.get(name_key),
            file,
            headers: headers.iter().map(|h| labels.get(h)).collect(),
            rows: Vec::new(),
        }
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

/// The HR workbook's sheets, from the leadership view model.
pub fn hr_sheets(m: &Leadership, labels: &Labels) -> Vec<Sheet> {
    let mut breaches = Sheet::new(
        labels,
        "breaches",
        "breaches",
        &[
            "window",
            "subject_id",
            "name",
            "kind",
            "township",
            "org_type",
            "rule",
            "period",
            "rate",
            "valid",
            "ci_low",
            "ci_high",
            "evidence",
            "action",
        ],
    );
    for b in &m.breaches {
        for p in &b.periods {
            breaches.rows.push(vec![
                window(&b.window),
                text(&b.who.subject_id),
                text(&b.who.name),
                text(&b.who.kind),
                text(&b.who.township),
                text(&b.who.org_type),
                text(&b.rule),
                text(&p.period),
                Cell::Pct(Some(p.rate)),
                Cell::Int(p.valid),
                Cell::Pct(p.ci_low),
                Cell::Pct(p.ci_high),
                text(&labels.get(&format!("evidence_{}", p.evidence))),
                text(&b.action),
            ]);
        }
    }
    let mut watch = Sheet::new(
        labels,
        "watchlist",
        "watchlist",
        &[
            "subject_id",
            "name",
            "township",
            "period",
            "rate",
            "valid",
            "ci_low",
            "ci_high",
            "evidence",
        ],
    );
    for w in &m.attention.firm_watch {
        watch.rows.push(vec![
            text(&w.who.subject_id),
            text(&w.who.name),
            text(&w.who.township),
            text(&w.period),
            Cell::Pct(Some(w.rate)),
            Cell::Int(w.valid),
            Cell::Pct(w.ci_low),
            Cell::Pct(w.ci_high),
            text(&labels.get(&format!("evidence_{}", w.evidence))),
        ]);
    }
    vec![
        breaches,
        watch,
        needs_sheet(m, labels),
        ranking_sheet(m, labels, true),
        ranking_sheet(m, labels, false),
        ledger_sheet(m, labels),
    ]
}

fn ranking_sheet(m: &Leadership, labels: &Labels, township: bool) -> Sheet {
    // The first column says what is ranked, not "category".
    let (key, file, rows, what) = if township {
        (
            "ranking_township",
            "ranking_township",
            &m.townships,
            "township",
        )
    } else {
        (
            "ranking_org_type",
            "ranking_org_type",
            &m.org_types,
            "org_type",
        )
    };
    let mut s = Sheet::new(
        labels,
        key,
        file,
        &[
            "rank",
            what,
            "valid",
            "rate",
            "ci_low",
            "ci_high",
            "prev_year",
            "change_pp",
        ],
    );
    for r in rows {
        s.rows.push(vec![
            Cell::Int(r.rank as u64),
            text(&r.group),
            Cell::Int(r.valid),
            Cell::Pct(r.rate),
            Cell::Pct(r.ci_low),
            Cell::Pct(r.ci_high),
            Cell::Pct(r.prev_rate),
            Cell::Points(r.change.map(|c| c * 100.0)),
        ]);
    }
    s
}

/// Subjects whose breach or watch entry rests on too few ratings: their
/// lowest period and the ratings still missing. Also `needs-ratings.csv`,
/// the target list of `pingyi sample --targets`.
pub fn needs_sheet(m: &Leadership, labels: &Labels) -> Sheet {
    let mut s = Sheet::new(
        labels,
        "needs_ratings",
        "needs-ratings",
        &[
            "township",
            "village",
            "subject_id",
            "name",
            "kind",
            "org_type",
            "reason",
            "period",
            "rate",
            "valid",
            "needed",
        ],
    );
    for t in &m.attention.needs {
        for n in &t.subjects {
            s.rows.push(vec![
                text(&n.who.township),
                text(&n.village),
                text(&n.who.subject_id),
                text(&n.who.name),
                text(&n.who.kind),
                text(&n.who.org_type),
                text(&labels.get(&format!("reason_{}", n.reason))),
                text(&n.period),
                Cell::Pct(Some(n.rate)),
                Cell::Int(n.valid),
                Cell::Int(n.needed),
            ]);
        }
    }
    s
}

/// An assessment year as a number when it is one.
fn window(w: &str) -> Cell {
    w.parse().map_or_else(|_| text(w), Cell::Int)
}

fn ledger_sheet(m: &Leadership, labels: &Labels) -> Sheet {
    let mut s = Sheet::new(
        labels,
        "overdue_items",
        "overdue",
        &[
            "subject_id",
            "name",
            "township",
            "category",
            "content",
            "measure",
            "owner",
            "received_at",
            "deadline",
            "days_overdue",
        ],
    );
    for i in &m.ledger.overdue {
        s.rows.push(vec![
            text(&i.who.subject_id),
            text(&i.who.name),
            text(&i.who.township),
            text(&i.category),
            text(&i.content),
            text(&i.measure),
            text(&i.owner),
            Cell::Date(i.received_at.clone()),
            Cell::Date(i.deadline.clone()),
            Cell::Int(i.days_overdue.unwrap_or(0).max(0) as u64),
        ]);
    }
    s
}

/// Grades of every subject in the window (internal: nothing suppressed).
pub fn grades_sheet(data: &super::load::Data, labels: &Labels) -> Sheet {
    let idx = super::model::Index::new(data);
    let w = super::model::window(data);
    let mut s = Sheet::new(
        labels,
        "grade",
        "grades",
        &[
            "subject_id",
            "name",
            "kind",
            "township",
            "org_type",
            "position",
            "raters",
            "valid",
            "rate",
            "grade",
        ],
    );
    for g in data.grades.iter().filter(|g| g.window == w) {
        let who = idx.who(&g.subject_id);
        s.rows.push(vec![
            text(&who.subject_id),
            text(&who.name),
            text(&who.kind),
            text(&who.township),
            text(&who.org_type),
            text(&who.position),
            Cell::Int(g.raters.unwrap_or(0)),
            Cell::Int(g.valid),
            Cell::Pct(g.rate),
            text(g.grade.as_deref().unwrap_or("")),
        ]);
    }
    s
}

/// The public results as one sheet, suppressed cells empty.
pub fn public_sheet(m: &Public, labels: &Labels) -> Sheet {
    let mut s = Sheet::new(
        labels,
        "public_title",
        "public",
        &[
            "township",
            "subject_id",
            "kind",
            "name",
            "detail_col",
            "raters",
            "rate",
            "grade",
        ],
    );
    s.headers[4] = format!("{}/{}", labels.get("org_type"), labels.get("position"));
    let row = |r: &super::public::Row| {
        vec![
            text(&r.township),
            text(&r.subject_id),
            text(&r.kind),
            text(&r.name),
            text(&r.detail),
            text(&r.raters),
            Cell::Pct(r.rate),
            text(r.grade.as_deref().unwrap_or("")),
        ]
    };
    s.rows.push(row(&m.county));
    for t in &m.townships {
        s.rows.push(row(&t.total));
        s.rows
            .extend(t.organizations.iter().chain(&t.cadres).map(row));
    }
    s
}

/// Writes `sheets` as one workbook, atomically.
pub fn write_xlsx(sheets: &[Sheet], as_of: &str, path: &Path) -> Result<()> {
    let mut book = Workbook::new();
    let d = parse_loose(as_of).unwrap_or(Date::from_days(0));
    let created = ExcelDateTime::from_ymd(d.year as u16, d.month as u8, d.day as u8)?;
    book.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&created)
            .set_author("pingyi"),
    );
    let bold = Format::new().set_bold().set_text_wrap();
    let percent = Format::new().set_num_format("0.0%");
    let points = Format::new().set_num_format("+0.0;-0.0;0.0");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for sheet in sheets {
        let ws = book.add_worksheet();
        // Excel caps sheet names at 31 characters and forbids some symbols.
        let name: String = sheet
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        ws.set_name(&name)?;
        for (c, h) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)?;
            ws.set_column_width(c as u16, width(sheet, c))?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) if t.is_empty() => {}
                    Cell::Text(t) => {
                        ws.write_string(r, c, crate::csvsafe::defuse(t))?;
                    }
                    Cell::Int(n) => {
                        ws.write_number(r, c, *n as f64)?;
                    }
                    Cell::Pct(Some(p)) if p.is_finite() => {
                        ws.write_number_with_format(r, c, *p, &percent)?;
                    }
                    Cell::Pct(_) | Cell::Points(None) => {}
                    Cell::Points(Some(p)) => {
                        ws.write_number_with_format(r, c, *p, &points)?;
                    }
                    Cell::Date(d) => match parse_loose(d) {
                        Some(d) => {
                            let x =
                                ExcelDateTime::from_ymd(d.year as u16, d.month as u8, d.day as u8)?;
                            ws.write_datetime_with_format(r, c, &x, &date)?;
                        }
                        None if d.is_empty() => {}
                        None => {
                            ws.write_string(r, c, crate::csvsafe::defuse(d))?;
                        }
                    },
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        if !sheet.rows.is_empty() {
            ws.autofilter(
                0,
                0,
                sheet.rows.len() as u32,
                sheet.headers.len().saturating_sub(1) as u16,
            )?;
        }
    }
    write_atomic(path, &book.save_to_buffer()?)
}

/// Column width in Excel units: CJK characters count double, capped.
fn width(sheet: &Sheet, c: usize) -> f64 {
    let w = |s: &str| {
        s.chars()
            .map(|ch| if ch.is_ascii() { 1.0 } else { 2.0 })
            .sum::<f64>()
    };
    let longest = sheet
        .rows
        .iter()
        .take(200)
        .filter_map(|r| match r.get(c) {
            Some(Cell::Text(t) | Cell::Date(t)) => Some(w(t)),
            _ => None,
        })
        .fold(w(&sheet.headers[c]), f64::max);
    (longest + 2.0).clamp(8.0, 60.0)
}

/// Writes a sheet as CSV, UTF-8 with BOM, RFC 4180 quoting, atomically.
pub fn write_csv(sheet: &Sheet, path: &Path) -> Result<()> {
    write_atomic(path, csv_text(sheet).as_bytes())
}

/// A sheet as CSV text: BOM, RFC 4180 quoting, formula-like text defused.
pub fn csv_text(sheet: &Sheet) -> String {
    let mut text = String::from("\u{feff}");
    let line =
        |cells: Vec<String>| cells.iter().map(|c| quote(c)).collect::<Vec<_>>().join(",") + "\r\n";
    text.push_str(&line(sheet.headers.clone()));
    for row in &sheet.rows {
        text.push_str(&line(row.iter().map(csv_value).collect()));
    }
    text
}

fn csv_value(c: &Cell) -> String {
    match c {
        Cell::Text(t) => crate::csvsafe::defuse(t).into_owned(),
        Cell::Int(n) => n.to_string(),
        // Four decimals: a CSV is read by programs too, not only by eye.
        Cell::Pct(p) => p
            .filter(|x| x.is_finite())
            .map_or(String::new(), |x| format!("{x:.4}")),
        Cell::Points(p) => p
            .filter(|x| x.is_finite())
            .map_or(String::new(), |x| format!("{x:.2}")),
        Cell::Date(d) => crate::csvsafe::defuse(d).into_owned(),
    }
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
