//! The Excel entry template: one workbook per campaign whose first sheet's
//! headers are the ingest contract's (the configured Chinese aliases), with
//! a drop-down on every coded column (sheet id, subject, item, rating, rater
//! category, method, channel) fed from a protected list sheet, the date
//! column limited to the campaign's period and formatted as a date, the
//! header row frozen and locked, and an instructions sheet.
//!
//! The extra sheets hold no row ingest would take for a header (their
//! titles are not column aliases), so `pingyi ingest` reads only the entry
//! sheet of a filled template.

use std::path::Path;

use anyhow::{Context, Result};
use rust_xlsxwriter::{
    DataValidation, DataValidationRule, DocProperties, ExcelDateTime, Format, FormatBorder,
    Formula, ProtectionOptions, Workbook, Worksheet,
};

use super::{header, Campaign, ENTRY_COLUMNS};
use crate::config::{Config, Lang};
use crate::dates::Date;

/// Last 0-based row a validation covers: the whole sheet.
const LAST_ROW: u32 = 1_048_575;

pub fn file_name(c: &Campaign) -> String {
    match c.lang {
        Lang::Zh => format!("录入模板-{}.xlsx", c.period.label),
        Lang::En => format!("entry-{}.xlsx", c.period.label),
    }
}

struct Names {
    entry: &'static str,
    help: &'static str,
    lists: &'static str,
}

fn names(lang: Lang) -> Names {
    match lang {
        Lang::Zh => Names {
            entry: "录入",
            help: "填写说明",
            lists: "可选值",
        },
        Lang::En => Names {
            entry: "Entry",
            help: "Instructions",
            lists: "Lists",
        },
    }
}

/// A column of the list sheet: its title and its values.
struct List {
    title: String,
    values: Vec<String>,
}

pub fn write(c: &Campaign, path: &Path) -> Result<()> {
    let mut book = Workbook::new();
    // A fixed creation date: the same configuration gives the same bytes.
    book.set_properties(
        &DocProperties::new()
            .set_title(format!("{} {}", c.period.label, "pingyi entry template"))
            .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?),
    );
    let n = names(c.lang);
    let lists = lists(c);
    let entry = book.add_worksheet();
    entry_sheet(c, entry, &n, &lists)?;
    help_sheet(c, book.add_worksheet(), &n)?;
    list_sheet(book.add_worksheet(), &n, &lists)?;
    let bytes = book
        .save_to_buffer()
        .with_context(|| format!("cannot build {}", path.display()))?;
    crate::fsutil::write_atomic(path, &bytes)
}

/// The header a column has in this workbook: the county's alias in Chinese,
/// the canonical name in English (ingest matches both).
fn column_header(cfg: &Config, lang: Lang, column: &str) -> String {
    match lang {
        Lang::Zh => header(cfg, column),
        Lang::En => column.to_string(),
    }
}

/// The lists the drop-downs take their values from, by entry column.
fn lists(c: &Campaign) -> Vec<(&'static str, List)> {
    let cfg = c.cfg;
    let title = |col: &str| match c.lang {
        Lang::Zh => format!("可选值：{}", header(cfg, col)),
        Lang::En => format!("allowed {col}"),
    };
    let named = |v: &[crate::config::Named]| v.iter().map(|n| n.name.clone()).collect();
    let ids = c.groups.iter().flat_map(|g| c.sheet_ids(g)).collect();
    let subjects = c
        .groups
        .iter()
        .flat_map(|g| g.subjects())
        .map(|s| s.id.clone())
        .collect();
    vec![
        (
            "response_id",
            List {
                title: title("response_id"),
                values: ids,
            },
        ),
        (
            "subject_id",
            List {
                title: title("subject_id"),
                values: subjects,
            },
        ),
        (
            "item",
            List {
                title: title("item"),
                values: c.items(),
            },
        ),
        (
            "rating",
            List {
                title: title("rating"),
                values: cfg.scale.iter().map(|s| s.label.clone()).collect(),
            },
        ),
        (
            "rater_category",
            List {
                title: title("rater_category"),
                values: named(&cfg.rater_categories),
            },
        ),
        (
            "method",
            List {
                title: title("method"),
                values: named(&cfg.methods),
            },
        ),
        (
            "channel",
            List {
                title: title("channel"),
                values: named(&cfg.channels),
            },
        ),
    ]
}

fn entry_sheet(c: &Campaign, ws: &mut Worksheet, n: &Names, lists: &[(&str, List)]) -> Result<()> {
    ws.set_name(n.entry)?;
    let head = Format::new().set_bold().set_border(FormatBorder::Thin);
    let open = Format::new().set_unlocked();
    let date = Format::new().set_unlocked().set_num_format("yyyy-mm-dd");
    // Ids typed as text: in General cells Excel drops leading zeros and
    // keeps 15 digits of a long number, so the id would no longer match.
    let id = Format::new().set_unlocked().set_num_format("@");
    for (i, column) in ENTRY_COLUMNS.iter().enumerate() {
        let i = i as u16;
        ws.write_string_with_format(0, i, column_header(c.cfg, c.lang, column), &head)?;
        let is_date = *column == "rated_at";
        let format = match *column {
            "rated_at" => &date,
            "response_id" | "subject_id" => &id,
            _ => &open,
        };
        ws.set_column_format(i, format)?;
        ws.set_column_width(i, if *column == "comment" { 40 } else { 18 })?;
        let rule = match lists.iter().position(|(col, _)| col == column) {
            Some(k) => list_rule(n, k, lists[k].1.values.len()),
            None if is_date => date_rule(c.period.first, c.period.last)?,
            None => {
                DataValidation::new().allow_text_length(DataValidationRule::LessThanOrEqualTo(500))
            }
        };
        let rule = messages(rule, c, column)?;
        ws.add_data_validation(1, i, LAST_ROW, i, &rule)?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.protect_with_options(&ProtectionOptions {
        format_columns: true,
        ..ProtectionOptions::default()
    });
    ws.set_active(true);
    Ok(())
}

/// A drop-down of the k-th list sheet column.
fn list_rule(n: &Names, k: usize, len: usize) -> DataValidation {
    let col = (b'A' + k as u8) as char;
    DataValidation::new().allow_list_formula(Formula::new(format!(
        "='{}'!${col}$2:${col}${}",
        n.lists,
        len.max(1) + 1
    )))
}

fn date_rule(first: Date, last: Date) -> Result<DataValidation> {
    let x = |d: Date| ExcelDateTime::from_ymd(d.year as u16, d.month as u8, d.day as u8);
    Ok(DataValidation::new().allow_date(DataValidationRule::Between(x(first)?, x(last)?)))
}

/// The prompt shown on entering a cell, and the message on a refused value.
fn messages(rule: DataValidation, c: &Campaign, column: &str) -> Result<DataValidation> {
    let (prompt, error) = match (c.lang, column) {
        (Lang::Zh, "response_id") => ("抄写测评表右上角的编号", "编号不是本次印制的测评表编号"),
        (Lang::Zh, "rated_at") => ("测评日期，如 2012-09-03", "日期不在本期次内"),
        (Lang::Zh, "subject_id") => ("抄写评议对象名字下方的编号", "编号不在评议对象名册中"),
        (Lang::Zh, "comment") => ("意见建议，可空；不超过500字", "不超过500字"),
        (Lang::Zh, "collector") => ("抄写表上的采集人（调查员）", "不超过500字"),
        (Lang::Zh, _) => ("从下拉列表中选择", "请从下拉列表中选择"),
        (Lang::En, "response_id") => (
            "the id printed at the top right of the sheet",
            "not an id printed for this campaign",
        ),
        (Lang::En, "rated_at") => (
            "the date on the sheet, e.g. 2012-09-03",
            "the date is not in this period",
        ),
        (Lang::En, "subject_id") => ("the id printed under the name", "not in the subject roster"),
        (Lang::En, "collector") => (
            "the collector written on the sheet",
            "at most 500 characters",
        ),
        (Lang::En, "comment") => (
            "suggestions, optional; at most 500 characters",
            "at most 500 characters",
        ),
        (Lang::En, _) => ("pick from the list", "pick a value from the list"),
    };
    let title: String = column_header(c.cfg, c.lang, column)
        .chars()
        .take(30)
        .collect();
    Ok(rule
        .set_input_title(title.clone())?
        .set_input_message(prompt)?
        .set_error_title(title)?
        .set_error_message(error)?)
}

fn help_sheet(c: &Campaign, ws: &mut Worksheet, n: &Names) -> Result<()> {
    ws.set_name(n.help)?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    ws.set_column_width(0, 22)?;
    ws.set_column_width(1, 10)?;
    ws.set_column_width(2, 80)?;
    let (title, lines, heads) = help_text(c, n);
    ws.write_string_with_format(0, 0, title, &bold)?;
    for (i, line) in lines.iter().enumerate() {
        ws.write_string(1 + i as u32, 0, line)?;
    }
    let top = 2 + lines.len() as u32;
    for (k, h) in heads.iter().enumerate() {
        ws.write_string_with_format(top, k as u16, *h, &bold)?;
    }
    let required: Vec<&str> = crate::contract::Kind::Ratings
        .columns()
        .iter()
        .filter(|(_, r)| *r)
        .map(|(name, _)| *name)
        .collect();
    for (i, column) in ENTRY_COLUMNS.iter().enumerate() {
        let r = top + 1 + i as u32;
        // One alias per row at most: this sheet must never look like a header row to ingest.
        ws.write_string(
            r,
            0,
            format!("{}（{column}）", column_header(c.cfg, c.lang, column)),
        )?;
        let req = required.contains(column);
        ws.write_string(r, 1, yes_no(c.lang, req))?;
        ws.write_string_with_format(r, 2, describe(c, column), &wrap)?;
    }
    ws.protect();
    Ok(())
}

fn yes_no(lang: Lang, yes: bool) -> &'static str {
    match (lang, yes) {
        (Lang::Zh, true) => "必填",
        (Lang::Zh, false) => "可空",
        (Lang::En, true) => "required",
        (Lang::En, false) => "optional",
    }
}

fn help_text(c: &Campaign, n: &Names) -> (String, Vec<String>, [&'static str; 3]) {
    let p = c.period.printed(c.lang);
    let (f, l) = (c.period.first, c.period.last);
    match c.lang {
        Lang::Zh => (
            format!("{}{p}群众满意度测评表 录入说明", c.cfg.report.issuer),
            vec![
                format!("在“{}”表录入：每张测评表上，每位评议对象的每项评议内容录入一行；同一张表的各行编号、日期、身份相同。", n.entry),
                format!("下拉列表的可选值在“{}”表，与 pingyi 的配置一致；日期须在 {f} 至 {l} 之间。", n.lists),
                "录入后把本文件放入收件箱（paths.inbox）或运行 pingyi ingest 文件名；不合要求的行进入隔离区并注明行号和原因。".into(),
            ],
            ["列", "是否必填", "填写内容"],
        ),
        Lang::En => (
            format!("{}{p} rating forms: how to key them in", c.cfg.report.issuer),
            vec![
                format!("Key in on sheet `{}`: one row per subject and item of each paper sheet; the rows of one sheet share its id, date and rater category.", n.entry),
                format!("The drop-downs take their values from sheet `{}`, as configured in pingyi; dates must lie between {f} and {l}.", n.lists),
                "Then put this file into the inbox (paths.inbox) or run `pingyi ingest FILE`; a row ingest refuses is quarantined with its row number and reason.".into(),
            ],
            ["column", "required", "what to enter"],
        ),
    }
}

fn describe(c: &Campaign, column: &str) -> String {
    let zh = c.lang == Lang::Zh;
    let text = match column {
        "response_id" => {
            if zh {
                "测评表右上角印的编号（每张表一个）"
            } else {
                "the id printed on the paper sheet (one per sheet)"
            }
        }
        "rated_at" => {
            if zh {
                "测评日期（表上填写的日期）"
            } else {
                "the date written on the sheet"
            }
        }
        "rater_category" => {
            if zh {
                "表上勾选的评议人身份"
            } else {
                "the rater category ticked on the sheet"
            }
        }
        "method" => {
            if zh {
                "评议方式"
            } else {
                "evaluation method"
            }
        }
        "channel" => {
            if zh {
                "评议途径"
            } else {
                "evaluation channel"
            }
        }
        "subject_id" => {
            if zh {
                "评议对象名字下方印的编号"
            } else {
                "the id printed under the subject's name"
            }
        }
        "item" => {
            if zh {
                "评议内容（表格上方的项目名）"
            } else {
                "the item (column heading on the sheet)"
            }
        }
        "rating" => {
            if zh {
                "勾选的评价；没有勾选的项不录入"
            } else {
                "the ticked answer; leave out items left blank"
            }
        }
        "collector" => {
            if zh {
                "表上填写的采集人（调查员）；没有填写的留空"
            } else {
                "the collector written on the sheet; empty when none"
            }
        }
        _ => {
            if zh {
                "意见建议（只录在该表的第一行）"
            } else {
                "suggestions (on the sheet's first row only)"
            }
        }
    };
    text.to_string()
}

fn list_sheet(ws: &mut Worksheet, n: &Names, lists: &[(&str, List)]) -> Result<()> {
    ws.set_name(n.lists)?;
    let bold = Format::new().set_bold();
    for (k, (_, list)) in lists.iter().enumerate() {
        let k = k as u16;
        ws.write_string_with_format(0, k, &list.title, &bold)?;
        ws.set_column_width(k, 20)?;
        for (i, v) in list.values.iter().enumerate() {
            ws.write_string(1 + i as u32, k, v)?;
        }
    }
    ws.protect();
    Ok(())
}
