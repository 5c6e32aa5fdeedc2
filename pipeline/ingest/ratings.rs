//! Checking ratings on their dictionaries. Every rule of a rating concerns
//! one column (is the date real, is the category configured, is the subject
//! on the roster), so each column's rules run once per distinct text of a
//! block, not once per row: a block of 100,000 rows has a few dozen distinct
//! categories and ratings, a few hundred dates, a few thousand subjects.
//! A row's first broken rule is the smallest rule index over its columns
//! (rules are numbered in the order they are listed, so this is the same
//! "first failure" as checking row by row), and the accepted rows' columns
//! are gathered from the checked dictionaries.

use anyhow::Result;
use polars::prelude::*;

use super::coded::CodedTable;
use super::exprs::{
    clean, first_failure, map_values, named_pairs, parse_dates, parse_times, raw, Check,
};
use super::mapping::Mapping;
use super::normalize;
use super::piece::{Cells, Piece};
use super::rules::{
    bad_date, missing, names, out_of_bounds, rounded_id, unknown, Accepted, Context, Validated,
};
use super::table::LINE;
use crate::periods::period;

/// The rules and output columns that depend on one canonical column.
struct Rule {
    column: &'static str,
    /// Parse the column as a date into `__date` (through its dictionary).
    date: bool,
    derived: Vec<Expr>,
    checks: Vec<Check>,
    outputs: Vec<Expr>,
}

impl Rule {
    fn new(column: &'static str) -> Rule {
        Rule {
            column,
            date: false,
            derived: Vec::new(),
            checks: Vec::new(),
            outputs: vec![col(column)],
        }
    }
}

/// A configured category-like column: mapped to its canonical name, required.
fn named(
    column: &'static str,
    mapped: &'static str,
    reason: &'static str,
    items: &[crate::config::Named],
    header: &dyn Fn(&str) -> String,
) -> Rule {
    Rule {
        derived: vec![map_values(col(column), &named_pairs(items)).alias(mapped)],
        checks: vec![
            missing(column, header),
            unknown(column, mapped, reason, header, &names(items)),
        ],
        outputs: vec![col(mapped).alias(column)],
        ..Rule::new(column)
    }
}

/// The scale label of each rating text, compared under `text::fold` (case,
/// width and invisible characters ignored): the comparison `config check`
/// keeps unambiguous. Runs on the column's dictionary, once per distinct text.
fn scale_level(x: Expr, pairs: &[(String, String)]) -> Expr {
    let folded: Vec<(String, String)> = pairs
        .iter()
        .map(|(spelling, label)| (crate::text::fold(spelling), label.clone()))
        .collect();
    let fold = |c: Column| -> PolarsResult<Column> {
        let texts = c.str()?;
        let folded: StringChunked = texts.iter().map(|t| t.map(crate::text::fold)).collect();
        Ok(folded.with_name(texts.name().clone()).into_column())
    };
    map_values(x.map(fold, |_, f| Ok(f.clone())), &folded)
}

/// The rules of a rating, in the order a row's faults are reported.
fn rules(ctx: &Context, header: &dyn Fn(&str) -> String) -> Vec<Rule> {
    let cfg = ctx.cfg;
    let mut scale: Vec<(String, String)> = cfg
        .scale
        .iter()
        .flat_map(|l| {
            std::iter::once((l.label.clone(), l.label.clone()))
                .chain(l.aliases.iter().map(|a| (a.clone(), l.label.clone())))
        })
        .collect();
    scale.extend(ctx.source_scale.iter().cloned());
    let labels: Vec<String> = scale.iter().map(|p| p.0.clone()).collect();
    let by_label =
        |f: &dyn Fn(&crate::config::ScaleLevel) -> Option<String>| -> Vec<(String, String)> {
            cfg.scale
                .iter()
                .filter_map(|l| f(l).map(|v| (l.label.clone(), v)))
                .collect()
        };
    let score = by_label(&|l| l.score.map(|s| s.to_string()));
    let satisfied =
        by_label(&|l| (!l.abstain).then(|| if l.satisfied { "1" } else { "0" }.to_string()));
    vec![
        Rule {
            checks: vec![
                missing("response_id", header),
                rounded_id("response_id", header),
            ],
            ..Rule::new("response_id")
        },
        Rule {
            checks: vec![
                missing("subject_id", header),
                Check {
                    column: "subject_id",
                    bad: col("subject_id").is_in(lit(ctx.subjects.clone()).implode(false), false).not(),
                    reason: "unknown_subject",
                    detail: format!("{} is not in the subject roster (评议对象名册); ingest the roster with the exports or correct the id", header("subject_id")),
                },
            ],
            ..Rule::new("subject_id")
        },
        Rule {
            date: true,
            checks: vec![
                missing("rated_at", header),
                bad_date("rated_at", "__date", header),
                out_of_bounds("rated_at", "__date", header, ctx.bounds, true),
            ],
            outputs: vec![
                col("__date").alias("rated_at"),
                col("__time").alias("rated_time"),
                period(col("__date"), cfg.period.granularity).alias("period"),
            ],
            ..Rule::new("rated_at")
        },
        named("rater_category", "__category", "unknown_category", &cfg.rater_categories, header),
        named("method", "__method", "unknown_method", &cfg.methods, header),
        named("channel", "__channel", "unknown_channel", &cfg.channels, header),
        Rule {
            derived: vec![scale_level(col("rating"), &scale).alias("__rating")],
            checks: vec![
                missing("rating", header),
                Check {
                    column: "rating",
                    bad: col("rating").is_not_null().and(col("__rating").is_null()),
                    reason: "off_scale",
                    detail: format!("{} is not on the rating scale; allowed: {}", header("rating"), labels.join(", ")),
                },
            ],
            outputs: vec![
                col("__rating").alias("rating"),
                map_values(col("__rating"), &score)
                    .cast(DataType::Float64)
                    .alias("score"),
                map_values(col("__rating"), &satisfied)
                    .is_not_null()
                    .alias("valid"),
                map_values(col("__rating"), &satisfied)
                    .eq(lit("1"))
                    .alias("satisfied"),
            ],
            ..Rule::new("rating")
        },
        Rule {
            checks: vec![rounded_id("rater_id", header)],
            outputs: vec![col("rater_id").alias("__rater_id")],
            ..Rule::new("rater_id")
        },
        Rule::new("rater_village"),
        // Evidence for the integrity checks: kept as given, null when absent.
        Rule::new("device_id"),
        Rule::new("collector"),
        Rule {
            outputs: vec![coalesce(&[col("item"), lit(cfg.items.default.clone())]).alias("item")],
            ..Rule::new("item")
        },
        Rule::new("comment"),
    ]
}

/// Where a canonical column's texts come from: a column of the file, a
/// constant of the source, or nowhere (every row empty). The texts are
/// normalized (`normalize.rs`) once per distinct text.
enum Source<'a> {
    Column(&'a super::coded::Coded, Series),
    Constant(Series),
}

fn source<'a>(m: &Mapping, t: &'a CodedTable, column: &str) -> Result<Source<'a>> {
    let fold = normalize::fold_of(column);
    let normalized = |s: Series| -> Result<Series> {
        Ok(match fold {
            Some(f) => normalize::series(&s, f)?,
            None => s,
        })
    };
    Ok(
        match (
            m.position(column),
            m.constants.iter().find(|k| k.0 == column),
        ) {
            (Some(i), _) => {
                let c = &t.columns[i];
                Source::Column(c, normalized(c.dict.clone())?)
            }
            (None, Some((_, v))) => {
                Source::Constant(normalized(Series::new("v".into(), [v.as_str()]))?)
            }
            (None, None) => Source::Constant(Series::new("v".into(), [None::<&str>])),
        },
    )
}

impl Source<'_> {
    fn dict(&self) -> &Series {
        match self {
            Source::Column(_, dict) => dict,
            Source::Constant(s) => s,
        }
    }

    /// The row's code in the dictionary.
    fn code(&self, row: usize) -> usize {
        match self {
            Source::Column(c, _) => c.codes[row] as usize,
            Source::Constant(_) => 0,
        }
    }

    /// The dictionary code of each row at `rows`.
    fn keys(&self, rows: &[IdxSize]) -> Vec<IdxSize> {
        match self {
            Source::Column(c, _) => rows.iter().map(|&r| c.codes[r as usize]).collect(),
            Source::Constant(_) => vec![0; rows.len()],
        }
    }
}

/// A dictionary-length output column for rows with dictionary codes
/// `keys`: it stays coded (`piece`) whatever its type, and the writer
/// gathers it once (dates, scores and flags were gathered here, and again
/// when a block was split by period).
fn cells(values: &Column, keys: &[IdxSize]) -> Cells {
    Cells::Coded {
        dict: values.as_materialized_series().clone(),
        keys: keys.to_vec(),
    }
}

/// Runs a rule on its column's dictionary: the output columns and
/// `__check` (the first broken rule's global index) per distinct text.
fn on_dictionary(
    rule: &Rule,
    dict: &Series,
    first_check: u32,
    key: Option<&[u8]>,
) -> Result<DataFrame> {
    let c = rule.column;
    let frame = DataFrame::new_infer_height(vec![dict.clone().with_name(raw(c).into()).into()])?;
    let mut lf = frame.lazy().with_column(clean(&raw(c)).alias(c));
    if rule.date {
        let distinct: Column = dict.clone().into();
        lf = lf.with_columns([
            parse_dates(col(raw(c)), &distinct)?.alias("__date"),
            parse_times(col(raw(c)), &distinct)?.alias("__time"),
        ]);
    }
    let check = if rule.checks.is_empty() {
        lit(NULL).cast(DataType::UInt32).alias("__check")
    } else {
        (first_failure(&rule.checks) + lit(first_check)).alias("__check")
    };
    let mut outputs = rule.outputs.clone();
    outputs.push(check);
    let mut df = lf
        .with_columns(rule.derived.clone())
        .select(outputs)
        .collect()?;
    if let (Some(key), Ok(ids)) = (key, df.column("__rater_id")) {
        // Each distinct id of the block is hashed once, before the rows gather it.
        let hashed = super::privacy::hash_all(key, ids.str()?).with_name("rater_key".into());
        df.with_column(Column::from(hashed))?;
        df = df.drop("__rater_id")?;
    }
    Ok(df)
}

/// Validates a ratings table: the same rules, reasons and order as checking
/// every row, computed on the dictionaries.
pub fn validate(ctx: &Context, m: &Mapping, t: &CodedTable) -> Result<Validated> {
    let header = |c: &str| {
        m.position(c)
            .map_or_else(|| c.to_string(), |i| t.headers[i].clone())
    };
    let mut rules = rules(ctx, &header);
    let sources = rules
        .iter()
        .map(|r| source(m, t, r.column))
        .collect::<Result<Vec<_>>>()?;
    for (rule, src) in rules.iter_mut().zip(&sources) {
        // Before the rule's "not configured" check, which it explains.
        if let Some(check) = super::traditional::check(ctx, rule.column, src.dict(), &header)? {
            let at = rule.checks.len().min(1);
            rule.checks.insert(at, check);
        }
    }
    let n = t.height();
    let mut first = vec![u32::MAX; n];
    let mut checked = Vec::with_capacity(rules.len());
    let mut next_check = 0u32;
    for (rule, src) in rules.iter().zip(sources) {
        let df = on_dictionary(rule, src.dict(), next_check, ctx.key)?;
        next_check += rule.checks.len() as u32;
        let fails: Vec<u32> = df
            .column("__check")?
            .u32()?
            .iter()
            .map(|v| v.unwrap_or(u32::MAX))
            .collect();
        if fails.iter().any(|&f| f != u32::MAX) {
            for (row, f) in first.iter_mut().enumerate() {
                *f = (*f).min(fails[src.code(row)]);
            }
        }
        checked.push((src, df.drop("__check")?));
    }
    let period = period_agrees(m, t, &checked, &header, next_check, &mut first)?;
    let (ok, bad): (Vec<IdxSize>, Vec<IdxSize>) =
        (0..n as IdxSize).partition(|&r| first[r as usize] == u32::MAX);
    let mut columns = Vec::new();
    for (src, df) in &checked {
        let keys = src.keys(&ok);
        for values in df.columns() {
            columns.push((values.name().clone(), cells(values, &keys)));
        }
    }
    let lines: Vec<u32> = ok.iter().map(|&r| t.lines[r as usize]).collect();
    columns.push((
        LINE.into(),
        Cells::Plain(Series::new(LINE.into(), lines).into()),
    ));
    let accepted = Piece {
        height: ok.len(),
        columns,
    };
    let mut failed = t.rows(&bad)?;
    let index: Vec<u32> = bad.iter().map(|&r| first[r as usize]).collect();
    failed.with_column(Column::from(Series::new("__check".into(), index)))?;
    let checks = rules.into_iter().flat_map(|r| r.checks).chain(period);
    Ok(Validated::new(Accepted::Coded(accepted), failed, checks))
}

/// A period column the date contradicts (`period_column.rs`): marks the
/// rows in `first` as failing check `index` (after every rule), and
/// returns that check; None when the file has no period column.
fn period_agrees(
    m: &Mapping,
    t: &CodedTable,
    checked: &[(Source, DataFrame)],
    header: &dyn Fn(&str) -> String,
    index: u32,
    first: &mut [u32],
) -> Result<Option<Check>> {
    if m.position("period").is_none() && !m.constants.iter().any(|k| k.0 == "period") {
        return Ok(None);
    }
    let Some((dates, df)) = checked.iter().find(|(_, df)| df.column("rated_at").is_ok()) else {
        return Ok(None);
    };
    let period = source(m, t, "period")?;
    let spans: Vec<Option<(i32, i32)>> = period
        .dict()
        .str()?
        .iter()
        .map(|v| v.and_then(super::period_column::span))
        .collect();
    if spans.iter().any(Option::is_some) {
        let days = df
            .column("rated_at")?
            .as_materialized_series()
            .to_physical_repr();
        let days: Vec<Option<i32>> = days.i32()?.iter().collect();
        for (row, f) in first.iter_mut().enumerate() {
            if let (Some((from, to)), Some(day)) = (spans[period.code(row)], days[dates.code(row)])
            {
                if day < from || day > to {
                    *f = (*f).min(index);
                }
            }
        }
    }
    let (p, d) = (header("period"), header("rated_at"));
    Ok(Some(Check {
        column: "period",
        bad: lit(false),
        reason: "bad_date",
        detail: format!("{p} names a period {d} does not fall in: correct whichever is wrong (or leave {p} empty: the period is taken from {d})"),
    }))
}
