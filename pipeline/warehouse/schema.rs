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

/// A column declaration, short enough for one line per column.
pub fn column(name: &'static str, dtype: DataType, meaning: &'static str) -> Column {
    Column {
        name,
        dtype,
        meaning,
    }
}

const STR: DataType = DataType::String;
const DATE: DataType = DataType::Date;
const BOOL: DataType = DataType::Boolean;

/// Provenance columns every ingested table carries, last.
#[rustfmt::skip] // one line per column: a declaration to read as a table
fn provenance() -> [Column; 3] {
    [
        column("batch_id", DataType::UInt32, "the ingest batch that stored the row (`batches`)"),
        column("source_file", STR, "the file the row came from, as ingest was given it"),
        column("source_line", DataType::UInt32, "its line in that file (the Excel row for workbooks)"),
    ]
}

#[rustfmt::skip] // one line per column: a declaration to read as a table
fn ratings() -> Vec<Column> {
    vec![
        column("response_id", STR, "one filled form or device vote (问卷编号); a form rating several items has several rows"),
        column("subject_id", STR, "the rated organization or cadre (`subjects`)"),
        column("rated_at", DATE, "the day of the rating"),
        column("period", STR, "the evaluation period (2012Q3 by default), given or derived from rated_at"),
        column("rater_category", STR, "the rater's category (评议人类别), as configured"),
        column("rater_key", STR, "keyed hash (HMAC-SHA256) of the rater id; the clear id is never stored"),
        column("rater_village", STR, "the rater's village or community, when the export has it"),
        column("method", STR, "评议方式: 民情恳谈, 随机抽查, 群众测评 or a configured one"),
        column("channel", STR, "评议途径: 评议会, 座谈会, 测评表, 问卷, 访谈, 评价器, 网络 or a configured one"),
        column("item", STR, "the evaluation item rated (评议内容; 总体评价 when the export has none)"),
        column("rating", STR, "the scale label after mapping aliases (满意, 基本满意, 不满意, 不了解 …)"),
        column("score", DataType::Float64, "the label's configured score; null for an abstain label"),
        column("valid", BOOL, "false for an abstain label (不了解): such a rating counts in no rate"),
        column("satisfied", BOOL, "a valid rating at a level configured as satisfied; null when not valid"),
        column("comment", STR, "the rater's comment (意见建议); never shown in public reports"),
    ]
}

#[rustfmt::skip] // one line per column: a declaration to read as a table
fn subjects() -> Vec<Column> {
    vec![
        column("subject_id", STR, "the organization's or cadre's id (被评议对象编号)"),
        column("name", STR, "the organization's or cadre's name"),
        column("kind", STR, "组织 (organization) or 干部 (cadre)"),
        column("org_type", STR, "农村, 机关, 学校, 社区, 企业, 医院 or 社会组织: decides items and rater quotas"),
        column("pioneer_category", STR, "the six pioneers' category (富民先锋 …), when it has one"),
        column("township", STR, "its township (乡镇)"),
        column("village", STR, "its village or community, when it has one"),
        column("parent", STR, "the organization a cadre belongs to (所属组织)"),
        column("position", STR, "a cadre's position"),
    ]
}

#[rustfmt::skip] // one line per column: a declaration to read as a table
fn raters() -> Vec<Column> {
    vec![
        column("person_key", STR, "keyed hash of the roster's person id; the clear id is never stored"),
        column("village", STR, "the person's village or community"),
        column("township", STR, "the person's township"),
        column("category", STR, "the random draw's stratum (村组干部, 普通群众, 先锋户 by default)"),
    ]
}

#[rustfmt::skip] // one line per column: a declaration to read as a table
fn suggestions() -> Vec<Column> {
    vec![
        column("suggestion_id", STR, "the ledger item's id (台账编号)"),
        column("subject_id", STR, "the organization or cadre that must act on it"),
        column("received_at", DATE, "the day the suggestion was collected"),
        column("source_method", STR, "the method that collected it (民情恳谈, 随机抽查 …)"),
        column("category", STR, "its category (就业, 困难帮扶, 发展致富 …)"),
        column("content", STR, "what was asked for; redacted in public reports"),
        column("answered_on_spot", BOOL, "answered at the meeting itself (现场答复)"),
        column("measure", STR, "the rectification measure (整改措施)"),
        column("owner", STR, "the person responsible (责任人)"),
        column("deadline", DATE, "the deadline (完成时限)"),
        column("status", STR, "未整改, 整改中 or 已销号 (closed)"),
        column("closed_at", DATE, "the day it was closed (销号日期)"),
        column("follow_up", STR, "the follow-up result (回访结果)"),
    ]
}

#[rustfmt::skip] // one line per column: a declaration to read as a table
fn quarantine() -> Vec<Column> {
    vec![
        column("kind", STR, "the kind of file: ratings, subjects, raters or ledger"),
        column("sheet", STR, "the workbook sheet; empty for other files"),
        column("column", STR, "the canonical column at fault"),
        column("value", STR, "the cell as the file had it (a clear rater id as its keyed hash)"),
        column("reason", STR, "why: missing_required, bad_date, unknown_subject, off_scale, duplicate …"),
        column("detail", STR, "a sentence saying how to fix the row"),
        column("row", STR, "the offending row as the file had it, header → cell, as JSON"),
    ]
}

/// The ingested tables, provenance columns included.
#[rustfmt::skip] // one line per column: a declaration to read as a table
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
