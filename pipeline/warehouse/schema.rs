//! The declared columns of the ingested warehouse tables (DESIGN §3, §7):
//! name, type and one-line meaning each. Ingest writes rows in this order
//! and type; an empty table still has them; the data dictionary (`pingyi
//! tables`) prints them. The metric tables are declared beside their
//! builders in `compute::tables`, which uses the same `Table` shape.

use polars::prelude::{DataType, Field, Schema};

/// One declared column.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: &'static str,
    pub dtype: DataType,
    /// One line for an analyst: what a value says.
    pub meaning: &'static str,
}

/// One declared table: its columns in stored order.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: &'static str,
    /// What one row stands for ("subject × period").
    pub grain: &'static str,
    /// One sentence: what the table is for and where it comes from.
    pub about: &'static str,
    pub columns: Vec<Column>,
}

impl Table {
    pub fn schema(&self) -> Schema {
        self.columns
            .iter()
            .map(|c| Field::new(c.name.into(), c.dtype.clone()))
            .collect()
    }
}

/// Columns declared as a text table, one a line: `name  type  meaning`,
/// the type one of `str`, `date`, `bool`, `u32`, `i64`, `f64`, or a list of one as
/// `[f64]`. A declaration reads
/// as the table it describes; an unknown type is a programmer's error, and
/// the registry's tests parse every declaration.
pub fn columns(text: &'static str) -> Vec<Column> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (name, rest) = line.split_once(' ').unwrap_or((line, ""));
            let (ty, meaning) = rest.trim_start().split_once(' ').unwrap_or((rest, ""));
            Column {
                name,
                dtype: dtype(ty)
                    .unwrap_or_else(|| panic!("column declaration `{line}`: unknown type `{ty}`")),
                meaning: meaning.trim_start(),
            }
        })
        .collect()
}

fn dtype(name: &str) -> Option<DataType> {
    if let Some(inner) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        return Some(DataType::List(Box::new(dtype(inner)?)));
    }
    Some(match name {
        "str" => DataType::String,
        "date" => DataType::Date,
        "bool" => DataType::Boolean,
        "u32" => DataType::UInt32,
        "i64" => DataType::Int64,
        "f64" => DataType::Float64,
        _ => return None,
    })
}

/// Provenance columns every ingested table carries, last.
#[rustfmt::skip] // the columns as a text table
fn provenance() -> Vec<Column> {
    columns("
        batch_id     u32   the ingest batch that stored the row (`batches`)
        source_file  str   the file the row came from, as ingest was given it
        source_line  u32   its line in that file (the Excel row for workbooks)
    ")
}

#[rustfmt::skip] // the columns as a text table
fn ratings() -> Vec<Column> {
    columns("
        response_id     str   one filled form or device vote (问卷编号); a form rating several items has several rows
        response_key    i64   the response id as a 64-bit integer (xxh3-64 of its text, as signed): the same form has the same key in every batch; count and join forms on it (warehouse format 2)
        subject_id      str   the rated organization or cadre (`subjects`)
        rated_at        date  the day of the rating
        rated_time      str   the time of day (HH:MM:SS, the clock as the export wrote it) when the export has one; null otherwise
        period          str   the evaluation period (2012Q3 by default), given or derived from rated_at
        rater_category  str   the rater's category (评议人类别), as configured
        rater_key       str   keyed hash (HMAC-SHA256) of the rater id; the clear id is never stored
        rater_village   str   the rater's village or community, when the export has it
        device_id       str   the evaluation device (评价器) that took a vote, for device exports; null otherwise
        collector       str   who took the form (采集人/调查员), when the export has it; null otherwise
        method          str   评议方式: 民情恳谈, 随机抽查, 群众测评 or a configured one
        channel         str   评议途径: 评议会, 座谈会, 测评表, 问卷, 访谈, 评价器, 网络 or a configured one
        item            str   the evaluation item rated (评议内容; 总体评价 when the export has none)
        rating          str   the scale label after mapping aliases (满意, 基本满意, 不满意, 不了解 …)
        score           f64   the label's configured score; null for an abstain label
        valid           bool  false for an abstain label (不了解): such a rating counts in no rate
        satisfied       bool  a valid rating at a level configured as satisfied; null when not valid
        comment         str   the rater's comment (意见建议); never shown in public reports
    ")
}

#[rustfmt::skip] // the columns as a text table
fn subjects() -> Vec<Column> {
    columns("
        subject_id        str   the organization's or cadre's id (被评议对象编号)
        name              str   the organization's or cadre's name
        kind              str   组织 (organization) or 干部 (cadre)
        org_type          str   农村, 机关, 学校, 社区, 企业, 医院 or 社会组织: decides items and rater quotas
        pioneer_category  str   the six pioneers' category (富民先锋 …), when it has one
        township          str   its township (乡镇)
        village           str   its village or community, when it has one
        parent            str   the organization a cadre belongs to (所属组织)
        position          str   a cadre's position
    ")
}

#[rustfmt::skip] // the columns as a text table
fn raters() -> Vec<Column> {
    columns("
        person_key  str   keyed hash of the roster's person id; the clear id is never stored
        village     str   the person's village or community
        township    str   the person's township
        category    str   the random draw's stratum (村组干部, 普通群众, 先锋户 by default)
    ")
}

#[rustfmt::skip] // the columns as a text table
fn suggestions() -> Vec<Column> {
    columns("
        suggestion_id     str   the ledger item's id (台账编号)
        subject_id        str   the organization or cadre that must act on it
        received_at       date  the day the suggestion was collected
        source_method     str   the method that collected it (民情恳谈, 随机抽查 …)
        category          str   its category (就业, 困难帮扶, 发展致富 …)
        content           str   what was asked for; redacted in public reports
        answered_on_spot  bool  answered at the meeting itself (现场答复)
        measure           str   the rectification measure (整改措施)
        owner             str   the person responsible (责任人)
        deadline          date  the deadline (完成时限)
        status            str   未整改, 整改中 or 已销号 (closed)
        closed_at         date  the day it was closed (销号日期)
        follow_up         str   the follow-up result (回访结果)
    ")
}

#[rustfmt::skip] // the columns as a text table
fn case_records() -> Vec<Column> {
    columns("
        case_id      str   the 诫勉谈话 case (案件编号), as the `cases` table numbers it: window-subject_id
        subject_id   str   the subject, when the sheet gives it (the case id decides)
        status       str   待谈话, 已谈话 (held) or 不予谈话 (not held, with a reason)
        held_on      date  the day the talk was held (谈话日期)
        outcome      str   what the talk concluded (谈话结果)
        reason       str   why no talk is held (不予谈话理由)
        interviewer  str   who held the talk (谈话人)
    ")
}

#[rustfmt::skip] // the columns as a text table
fn quarantine() -> Vec<Column> {
    columns("
        kind    str   the kind of file: ratings, subjects, raters, ledger or cases
        sheet   str   the workbook sheet; empty for other files
        column  str   the canonical column at fault
        value   str   the cell as the file had it (a clear rater id as its keyed hash)
        reason  str   why: missing_required, bad_date, unknown_subject, off_scale, duplicate, impossible_history, conflicting_rows, unknown_case, held_without_date, hidden_row, formula_cell … (README: Ingest)
        detail  str   a sentence saying how to fix the row
        row     str   the offending row as the file had it, header → cell, as JSON
    ")
}

/// The ingested tables, provenance columns included.
#[rustfmt::skip] // the columns as a text table
pub fn ingested() -> Vec<Table> {
    let table = |name, grain, about, mut columns: Vec<Column>| {
        columns.extend(provenance());
        Table {
            name,
            grain,
            about,
            columns,
        }
    };
    vec![
        table("ratings", "response × subject × item", "Every accepted rating from the exports (CSV, XLSX, device JSON lines), partitioned by period.", ratings()),
        table("subjects", "subject", "The subject roster (评议对象名册): the latest row per subject_id.", subjects()),
        table("raters", "person", "The rater roster (参评人员名册) the random draw samples from: the latest row per person.", raters()),
        table("suggestions", "suggestion", "The rectification ledger (整改销号台账): the latest row per suggestion_id.", suggestions()),
        table("suggestions_history", "suggestion × ingest", "Every ledger row ever ingested, so an item's history can be followed.", suggestions()),
        table("case_records", "case", "The 诫勉谈话 case sheet the department fills: the latest row per case_id.", case_records()),
        table("case_records_history", "case × ingest", "Every case record ever ingested, so a case's history can be followed.", case_records()),
        table("quarantine", "rejected cell", "Rows ingest refused, with file, line, column, reason and how to fix them.", quarantine()),
    ]
}

/// The declared columns of an ingested table; only provenance for a name
/// the warehouse does not declare (metric tables are `compute::tables`').
pub fn of(table: &str) -> Schema {
    match ingested().into_iter().find(|t| t.name == table) {
        Some(t) => t.schema(),
        None => provenance()
            .iter()
            .map(|c| Field::new(c.name.into(), c.dtype.clone()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_stored_table_is_declared() {
        let declared: Vec<&str> = super::ingested().iter().map(|t| t.name).collect();
        assert_eq!(declared, super::super::TABLES);
    }
}
