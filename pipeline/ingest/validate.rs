//! Checking every row of a table at once with polars expressions: required
//! values, dates, configured names, roster membership. Ratings are checked
//! on their dictionaries instead (`ratings.rs`), with the shared rule
//! builders below.
//! The result splits into accepted rows (typed, canonical) and quarantined
//! rows with the column, the value and the reason of their first fault.

use std::collections::HashMap;

use polars::prelude::*;

use super::exprs::{
    clean, first_failure, map_values, named_pairs, parse_bool, parse_dates, raw, Check,
};
use super::mapping::Mapping;
use super::normalize;
use super::rules::{
    bad_date, missing, names, out_of_bounds, rounded_id, unknown, Accepted, Context, Dates, Plan,
    Validated,
};
use super::table::{RawTable, LINE};
use crate::contract::{Kind, LEDGER_STATUSES, SUBJECT_KINDS};

fn dates(m: &Mapping, table: &RawTable) -> PolarsResult<Dates> {
    let mut out = HashMap::new();
    for c in [
        "rated_at",
        "received_at",
        "deadline",
        "closed_at",
        "held_on",
    ] {
        let distinct = match (m.position(c), m.constants.iter().find(|k| k.0 == c)) {
            (Some(i), _) => table.df.column(&super::table::col_name(i))?.unique()?,
            (None, Some((_, v))) => Column::new("v".into(), [v.clone()]),
            (None, None) => Column::new_empty("v".into(), &DataType::String),
        };
        out.insert(c, parse_dates(col(raw(c)), &distinct)?);
    }
    Ok(out)
}

pub fn validate(ctx: &Context, m: &Mapping, table: &RawTable) -> anyhow::Result<Validated> {
    if m.kind == Kind::Ratings {
        let coded = super::coded::CodedTable::from_raw(table)?;
        return super::ratings::validate(ctx, m, &coded);
    }
    let header = |c: &str| {
        m.position(c)
            .map_or_else(|| c.to_string(), |i| table.headers[i].clone())
    };
    let (cells, base) = normalized(m, table)?;
    let cleaned: Vec<Expr> = m
        .kind
        .columns()
        .iter()
        .map(|(c, _)| clean(&raw(c)).alias(*c))
        .collect();
    let dates = dates(m, table)?;
    let (derived, checks, mut output) = match m.kind {
        Kind::Ratings => unreachable!("ratings are validated on their dictionaries"),
        Kind::Subjects => subjects(ctx, &header),
        Kind::Raters => raters(ctx, &header),
        Kind::Ledger => ledger(ctx, &header, &dates),
        Kind::Cases => super::case_rows::plan(ctx, &header, &dates),
    };
    // One select keeps only what is needed: intermediate columns are not
    // materialized in the result.
    output.push(first_failure(&checks));
    let df = cells
        .lazy()
        .select(base)
        .with_columns(cleaned)
        .with_columns(derived)
        .select(output)
        .collect()?;
    let ok = df.column("__check")?.is_null();
    let accepted = df.filter(&ok)?.drop("__check")?;
    let meta = df.filter(&!ok)?.select(["__check", LINE])?;
    // The failing rows' cells as the file had them, for the quarantine.
    let failed = if meta.height() == 0 {
        let mut cols = meta.clone();
        for i in 0..table.headers.len() {
            cols.with_column(Column::new_empty(
                super::table::col_name(i).into(),
                &DataType::String,
            ))?;
        }
        cols
    } else {
        meta.lazy()
            .join(
                table.df.clone().lazy(),
                [col(LINE)],
                [col(LINE)],
                JoinArgs::new(JoinType::Inner),
            )
            .sort([LINE], Default::default())
            .collect()?
    };
    Ok(Validated::new(Accepted::Frame(accepted), failed, checks))
}

/// The table's cells with id, code and category columns normalized
/// (`normalize.rs`) beside the raw ones, and the expressions taking each
/// canonical column from them (the quarantine shows the raw cells).
fn normalized(m: &Mapping, table: &RawTable) -> anyhow::Result<(DataFrame, Vec<Expr>)> {
    let mut df = table.df.clone();
    let mut base: Vec<Expr> = vec![col(LINE)];
    for (c, _) in m.kind.columns() {
        let fold = normalize::fold_of(c);
        let source = match (m.position(c), m.constants.iter().find(|k| k.0 == *c)) {
            (Some(i), _) => {
                let name = super::table::col_name(i);
                match fold {
                    Some(f) => {
                        let n = format!("__norm_{name}");
                        let cells = df.column(&name)?.as_materialized_series();
                        let normalized = normalize::series(cells, f)?.with_name(n.as_str().into());
                        df.with_column(Column::from(normalized))?;
                        col(n)
                    }
                    None => col(name),
                }
            }
            (None, Some((_, v))) => lit(match fold {
                Some(f) => normalize::cell(v, f).into_owned(),
                None => v.clone(),
            }),
            (None, None) => lit(NULL).cast(DataType::String),
        };
        base.push(source.alias(raw(c)));
    }
    Ok((df, base))
}

/// True for the second and later rows carrying the same (non-empty) id.
fn repeated(id: &str) -> Expr {
    col(id)
        .is_first_distinct()
        .not()
        .and(col(id).is_not_null())
        .alias("__dup")
}

fn subjects(ctx: &Context, header: &dyn Fn(&str) -> String) -> Plan {
    let cfg = ctx.cfg;
    let kinds: Vec<(String, String)> = SUBJECT_KINDS
        .iter()
        .map(|k| (k.to_string(), k.to_string()))
        .collect();
    let org_types: Vec<(String, String)> = cfg
        .org_types
        .iter()
        .map(|o| (o.name.clone(), o.name.clone()))
        .collect();
    let pioneers: Vec<(String, String)> = cfg
        .pioneers
        .iter()
        .map(|p| (p.name.clone(), p.name.clone()))
        .collect();
    let derived = vec![
        map_values(col("kind"), &kinds).alias("__kind"),
        map_values(col("org_type"), &org_types).alias("__org_type"),
        map_values(col("pioneer_category"), &pioneers).alias("__pioneer"),
        repeated("subject_id"),
    ];
    let checks = vec![
        missing("subject_id", header),
        Check {
            column: "subject_id",
            bad: col("__dup"),
            reason: "duplicate",
            detail: format!(
                "{} appears more than once in this roster",
                header("subject_id")
            ),
        },
        missing("name", header),
        missing("kind", header),
        unknown(
            "kind",
            "__kind",
            "unknown_kind",
            header,
            &SUBJECT_KINDS.map(String::from),
        ),
        missing("org_type", header),
        unknown(
            "org_type",
            "__org_type",
            "unknown_org_type",
            header,
            &org_types.iter().map(|p| p.0.clone()).collect::<Vec<_>>(),
        ),
        unknown(
            "pioneer_category",
            "__pioneer",
            "unknown_pioneer",
            header,
            &pioneers.iter().map(|p| p.0.clone()).collect::<Vec<_>>(),
        ),
        missing("township", header),
    ];
    let output = vec![
        col("subject_id"),
        col("name"),
        col("__kind").alias("kind"),
        col("__org_type").alias("org_type"),
        col("__pioneer").alias("pioneer_category"),
        col("township"),
        col("village"),
        col("parent"),
        col("position"),
        col(LINE),
    ];
    (derived, checks, output)
}

fn raters(ctx: &Context, header: &dyn Fn(&str) -> String) -> Plan {
    let cfg = ctx.cfg;
    let derived = vec![
        map_values(col("category"), &named_pairs(&cfg.rater_categories)).alias("__category"),
        repeated("person_id"),
    ];
    let checks = vec![
        missing("person_id", header),
        rounded_id("person_id", header),
        Check {
            column: "person_id",
            bad: col("__dup"),
            reason: "duplicate",
            detail: format!(
                "{} appears more than once in this roster",
                header("person_id")
            ),
        },
        missing("village", header),
        missing("township", header),
        missing("category", header),
        unknown(
            "category",
            "__category",
            "unknown_category",
            header,
            &names(&cfg.rater_categories),
        ),
    ];
    let output = vec![
        col("person_id").alias("__person_id"),
        col("village"),
        col("township"),
        col("__category").alias("category"),
        col(LINE),
    ];
    (derived, checks, output)
}

/// A ledger row whose dates and status cannot all be true: it would be
/// counted (closed on time, with an effect) on a history that never happened.
fn history(header: &dyn Fn(&str) -> String) -> Vec<Check> {
    let (received, closed, deadline, status) = (
        header("received_at"),
        header("closed_at"),
        header("deadline"),
        header("status"),
    );
    let check = |column, bad: Expr, detail: String| Check {
        column,
        bad,
        reason: "impossible_history",
        detail,
    };
    vec![
        check(
            "closed_at",
            col("__closed").lt(col("__received")),
            format!("{closed} is before {received}: an item cannot be closed before it was received; correct whichever date is wrong"),
        ),
        check(
            "deadline",
            col("__deadline").lt(col("__received")),
            format!("{deadline} is before {received}: a deadline set before the item was received; correct whichever date is wrong"),
        ),
        check(
            "status",
            col("__status").eq(lit("已销号")).and(col("__closed").is_null()),
            format!("{status} is 已销号 (closed) but {closed} is empty: enter the date the item was closed, or correct the status"),
        ),
        check(
            "status",
            col("__status").eq(lit("未整改")).and(col("__closed").is_not_null()),
            format!("{status} is 未整改 (not started) but {closed} has a date: an item with a closing date is 已销号; correct the status or clear the date"),
        ),
    ]
}

fn ledger(ctx: &Context, header: &dyn Fn(&str) -> String, dates: &Dates) -> Plan {
    let cfg = ctx.cfg;
    let statuses: Vec<(String, String)> = LEDGER_STATUSES
        .iter()
        .map(|s| (s.to_string(), s.to_string()))
        .collect();
    let derived = vec![
        dates["received_at"].clone().alias("__received"),
        dates["deadline"].clone().alias("__deadline"),
        dates["closed_at"].clone().alias("__closed"),
        map_values(col("source_method"), &named_pairs(&cfg.methods)).alias("__method"),
        map_values(col("status"), &statuses).alias("__status"),
        parse_bool(col("answered_on_spot")).alias("__spot"),
    ];
    let mut checks = vec![
        missing("suggestion_id", header),
        missing("subject_id", header),
        Check {
            column: "subject_id",
            bad: col("subject_id")
                .is_in(lit(ctx.subjects.clone()).implode(false), false)
                .not(),
            reason: "unknown_subject",
            detail: format!(
                "{} is not in the subject roster (评议对象名册)",
                header("subject_id")
            ),
        },
        missing("received_at", header),
        bad_date("received_at", "__received", header),
        out_of_bounds("received_at", "__received", header, ctx.bounds, true),
        missing("source_method", header),
        unknown(
            "source_method",
            "__method",
            "unknown_method",
            header,
            &names(&cfg.methods),
        ),
        missing("category", header),
        bad_date("deadline", "__deadline", header),
        // A deadline may lie after the as-of date; only the lower bound applies.
        out_of_bounds("deadline", "__deadline", header, ctx.bounds, false),
        missing("status", header),
        unknown(
            "status",
            "__status",
            "unknown_status",
            header,
            &LEDGER_STATUSES.map(String::from),
        ),
        bad_date("closed_at", "__closed", header),
        out_of_bounds("closed_at", "__closed", header, ctx.bounds, true),
        Check {
            column: "answered_on_spot",
            bad: col("answered_on_spot")
                .is_not_null()
                .and(col("__spot").is_null()),
            reason: "bad_value",
            detail: format!("{} must be 是 or 否", header("answered_on_spot")),
        },
    ];
    checks.extend(history(header));
    let output = vec![
        col("suggestion_id"),
        col("subject_id"),
        col("__received").alias("received_at"),
        col("__method").alias("source_method"),
        col("category"),
        col("content"),
        col("__spot").alias("answered_on_spot"),
        col("measure"),
        col("owner"),
        col("__deadline").alias("deadline"),
        col("__status").alias("status"),
        col("__closed").alias("closed_at"),
        col("follow_up"),
        col(LINE),
    ];
    (derived, checks, output)
}
