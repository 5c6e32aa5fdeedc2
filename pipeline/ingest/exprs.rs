//! polars expressions shared by the validators: cleaning text, mapping
//! configured names and aliases, parsing the date forms people type, and
//! turning a list of checks into "first failure" columns.

use polars::prelude::*;

/// Text with surrounding whitespace (including the ideographic space)
/// removed; empty becomes null.
pub fn clean(name: &str) -> Expr {
    let x = col(name).str().strip_chars(lit(NULL));
    when(x.clone().eq(lit("")))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(x)
}

/// Maps spellings to canonical values (exact, or in lower case); anything
/// else becomes null. The spellings are normalized as the cells are
/// (`normalize.rs`: `村（居）组干部` is matched as `村(居)组干部`).
pub fn map_values(x: Expr, pairs: &[(String, String)]) -> Expr {
    let mut seen = std::collections::HashSet::new();
    let spelling = |o: &str| super::normalize::cell(o, super::normalize::Fold::Name).into_owned();
    let (old, new): (Vec<String>, Vec<String>) = pairs
        .iter()
        .map(|(o, n)| (spelling(o), n))
        .flat_map(|(o, n)| [(o.clone(), n.clone()), (o.to_lowercase(), n.clone())])
        .filter(|(o, _)| seen.insert(o.clone()))
        .unzip();
    x.replace_strict(
        lit(Series::new("old".into(), old)),
        lit(Series::new("new".into(), new)),
        Some(lit(NULL).cast(DataType::String)),
        Some(DataType::String),
    )
}

/// Name → name and each alias → name, for `map_values`.
pub fn named_pairs(items: &[crate::config::Named]) -> Vec<(String, String)> {
    items
        .iter()
        .flat_map(|n| {
            std::iter::once((n.name.clone(), n.name.clone()))
                .chain(n.aliases.iter().map(|a| (a.clone(), n.name.clone())))
        })
        .collect()
}

/// Dates of a text column through a dictionary: each distinct text is parsed
/// once (`dates::parse_loose`), then every row looks its text up. Exports
/// repeat a few hundred dates over millions of rows.
pub fn parse_dates(x: Expr, distinct: &Column) -> PolarsResult<Expr> {
    let texts: Vec<&str> = distinct.str()?.iter().flatten().collect();
    let days: Vec<Option<i32>> = texts
        .iter()
        .map(|t| crate::dates::parse_loose(t).map(|d| d.to_days() as i32))
        .collect();
    let dates = Series::new("new".into(), days).cast(&DataType::Date)?;
    Ok(x.replace_strict(
        lit(Series::new("old".into(), texts)),
        lit(dates),
        Some(lit(NULL).cast(DataType::Date)),
        Some(DataType::Date),
    ))
}

/// Times of day of a date column through its dictionary, as `parse_dates`:
/// `HH:MM:SS` where the text carries a time (`dates::time_of_day`), null
/// where it has none.
pub fn parse_times(x: Expr, distinct: &Column) -> PolarsResult<Expr> {
    let texts: Vec<&str> = distinct.str()?.iter().flatten().collect();
    let times: Vec<Option<String>> = texts.iter().map(|t| crate::dates::time_of_day(t)).collect();
    Ok(x.replace_strict(
        lit(Series::new("old".into(), texts)),
        lit(Series::new("new".into(), times)),
        Some(lit(NULL).cast(DataType::String)),
        Some(DataType::String),
    ))
}

/// yes/no in the ways forms say it; null when it is neither.
pub fn parse_bool(x: Expr) -> Expr {
    let pairs: Vec<(String, String)> = [
        ("是", "1"),
        ("否", "0"),
        ("y", "1"),
        ("n", "0"),
        ("yes", "1"),
        ("no", "0"),
        ("true", "1"),
        ("false", "0"),
        ("1", "1"),
        ("0", "0"),
        ("√", "1"),
        ("×", "0"),
        ("已答复", "1"),
        ("未答复", "0"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    map_values(x, &pairs).eq(lit("1"))
}

/// One rule a row must satisfy.
pub struct Check {
    pub column: &'static str,
    /// True where the row breaks the rule.
    pub bad: Expr,
    pub reason: &'static str,
    pub detail: String,
}

/// `__check`: the index of each row's first broken rule, null where none is
/// broken. Reason, column and text are looked up for failing rows only.
pub fn first_failure(checks: &[Check]) -> Expr {
    let each: Vec<Expr> = checks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            when(c.bad.clone().fill_null(lit(false)))
                .then(lit(i as u32))
                .otherwise(lit(NULL).cast(DataType::UInt32))
        })
        .collect();
    coalesce(&each).alias("__check")
}

/// The name under which a column's text as the file had it is kept.
pub fn raw(column: &str) -> String {
    format!("__raw_{column}")
}
