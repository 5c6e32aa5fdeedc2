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

/// Maps spellings (compared in lower case) to canonical values; anything
/// else becomes null.
pub fn map_values(x: Expr, pairs: &[(String, String)]) -> Expr {
    let old: Vec<String> = pairs.iter().map(|p| p.0.to_lowercase()).collect();
    let new: Vec<String> = pairs.iter().map(|p| p.1.clone()).collect();
    x.str().to_lowercase().replace_strict(
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

/// A date from 2012-09-03, 2012/9/3, 2012.9.3, 2012年9月3日, an Excel serial
/// number, each with or without a time after it; null when it is none of
/// these or the day does not exist (2012-02-30).
pub fn parse_date(x: Expr) -> Expr {
    let day = x
        .clone()
        .str()
        .replace(lit(r"[T\s].*$"), lit(""), false)
        .str()
        .replace_all(lit(r"[年月/.]"), lit("-"), false)
        .str()
        .replace_all(lit("日"), lit(""), true)
        .str()
        .replace_all(lit(r"\b(\d)\b"), lit("0$1"), false);
    let written = day.str().to_date(StrptimeOptions {
        format: Some("%Y-%m-%d".into()),
        strict: false,
        exact: true,
        cache: true,
    });
    // Excel's 1900 date system: serial 25569 is 1970-01-01.
    let serial = x.cast(DataType::Float64);
    // Only serials of 1950–2099 count, so a bare year such as `2012` is not read as a serial.
    let from_serial = when(
        serial
            .clone()
            .gt_eq(lit(18_264.0))
            .and(serial.clone().lt(lit(73_051.0))),
    )
    .then(
        (serial.floor() - lit(25_569.0))
            .cast(DataType::Int32)
            .cast(DataType::Date),
    )
    .otherwise(lit(NULL).cast(DataType::Date));
    coalesce(&[written, from_serial])
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

/// Columns naming each row's first broken rule (null where none is broken):
/// `__reason`, `__column`, `__detail`, `__value`.
pub fn first_failure(checks: &[Check]) -> Vec<Expr> {
    let pick = |f: &dyn Fn(&Check) -> Expr| {
        coalesce(
            &checks
                .iter()
                .map(|c| {
                    when(c.bad.clone().fill_null(lit(false)))
                        .then(f(c))
                        .otherwise(lit(NULL).cast(DataType::String))
                })
                .collect::<Vec<_>>(),
        )
    };
    vec![
        pick(&|c| lit(c.reason)).alias("__reason"),
        pick(&|c| lit(c.column)).alias("__column"),
        pick(&|c| lit(c.detail.clone())).alias("__detail"),
        pick(&|c| col(raw(c.column)).cast(DataType::String)).alias("__value"),
    ]
}

/// The name under which a column's text as the file had it is kept.
pub fn raw(column: &str) -> String {
    format!("__raw_{column}")
}
