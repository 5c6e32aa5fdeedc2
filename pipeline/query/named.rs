//! Named queries: `queries/NAME.sql` files with a header comment (first
//! line the description, then `-- param: NAME — meaning`) and `:NAME`
//! placeholders, bound from `--param NAME=VALUE` as SQL literals.

use std::path::Path;

use anyhow::{bail, Context, Result};

#[derive(Debug, Clone)]
pub struct Named {
    pub name: String,
    pub description: String,
    /// (name, meaning)
    pub params: Vec<(String, String)>,
    /// `-- example: year=2012 n=10`: the parameters the query is shown,
    /// tested and compared with DuckDB on.
    pub example: Vec<(String, String)>,
    pub sql: String,
}

pub fn parse(name: &str, text: &str) -> Named {
    let header: Vec<&str> = text
        .lines()
        .take_while(|l| l.trim_start().starts_with("--"))
        .map(|l| l.trim_start().trim_start_matches('-').trim())
        .collect();
    let params = header
        .iter()
        .filter_map(|l| l.strip_prefix("param:"))
        .map(|p| {
            let p = p.trim();
            match p.split_once(['—', '-']) {
                Some((n, m)) => (n.trim().to_string(), m.trim().to_string()),
                None => (p.to_string(), String::new()),
            }
        })
        .collect();
    let example = header
        .iter()
        .filter_map(|l| l.strip_prefix("example:"))
        .flat_map(|e| e.split_whitespace())
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Named {
        name: name.to_string(),
        example,
        description: header.first().map_or(String::new(), |s| s.to_string()),
        params,
        sql: text.to_string(),
    }
}

/// Every `*.sql` in `dir`, by name.
pub fn list(dir: &Path) -> Result<Vec<Named>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!(
            "no named queries: cannot read {} (pass --queries DIR)",
            dir.display()
        )
    })?;
    for e in entries {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "sql") {
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            out.push(parse(&name, &text));
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

pub fn find(dir: &Path, name: &str) -> Result<Named> {
    let all = list(dir)?;
    let names: Vec<&str> = all.iter().map(|n| n.name.as_str()).collect();
    match all.iter().find(|n| n.name == name) {
        Some(n) => Ok(n.clone()),
        None => bail!(
            "no named query `{name}` in {}; known: {}",
            dir.display(),
            names.join(", ")
        ),
    }
}

/// The SQL with every `:param` replaced by its value as a literal (numbers
/// as they are, anything else quoted). Missing and unknown parameters are
/// errors naming what the query takes.
pub fn bind(q: &Named, given: &[(String, String)]) -> Result<String> {
    let takes = || {
        q.params
            .iter()
            .map(|(n, m)| format!("{n} ({m})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (k, _) in given {
        if !q.params.iter().any(|(n, _)| n == k) {
            bail!(
                "query `{}` has no parameter `{k}`; it takes: {}",
                q.name,
                or_none(takes())
            );
        }
    }
    let mut values = Vec::new();
    for (name, meaning) in &q.params {
        let Some((_, v)) = given.iter().find(|(k, _)| k == name) else {
            bail!(
                "query `{}` needs --param {name}=VALUE ({meaning}); it takes: {}",
                q.name,
                takes()
            );
        };
        values.push((name.as_str(), literal(v)));
    }
    Ok(substitute(&q.sql, &values))
}

fn or_none(s: String) -> String {
    if s.is_empty() {
        "no parameters".into()
    } else {
        s
    }
}

fn literal(v: &str) -> String {
    // Not `inf` or `NaN`, which parse as floats but are not SQL numbers.
    let numeric = v.chars().all(|c| c.is_ascii_digit() || ".-+eE".contains(c));
    if numeric && v.parse::<f64>().is_ok() {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "''"))
    }
}

/// The SQL with each `:name` placeholder of `values` replaced by its
/// literal, in one pass over the text: placeholders are found only outside
/// string literals, quoted identifiers and comments, and never in text
/// already substituted, so a value such as `:year` stays the string
/// `':year'` (polars' SQL has no bind parameters; a one-pass substitution of
/// quoted literals is the same). `::int` casts and longer names (`:townships`
/// beside `:township`) are left as they are.
fn substitute(sql: &str, values: &[(&str, String)]) -> String {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        let skip_to = match b[i] {
            b'\'' | b'"' | b'`' => Some(closing(b, i, b[i])),
            b'-' if b.get(i + 1) == Some(&b'-') => {
                Some(sql[i..].find('\n').map_or(b.len(), |n| i + n + 1))
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                Some(sql[i + 2..].find("*/").map_or(b.len(), |n| i + 4 + n))
            }
            b':' if b.get(i + 1) == Some(&b':') => Some(i + 2),
            _ => None,
        };
        if let Some(next) = skip_to {
            i = next;
            continue;
        }
        if b[i] == b':' {
            let name_len = sql[i + 1..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(sql.len() - i - 1);
            let name = &sql[i + 1..i + 1 + name_len];
            if let Some((_, value)) = values.iter().find(|(n, _)| *n == name) {
                out.push_str(&sql[copied..i]);
                out.push_str(value);
                copied = i + 1 + name_len;
            }
            i += 1 + name_len;
            continue;
        }
        i += 1;
    }
    out.push_str(&sql[copied..]);
    out
}

/// The offset after a literal or quoted name opened by `q` at `start` (a
/// doubled `q` is an escaped one); the end of the text when not closed.
fn closing(b: &[u8], start: usize, q: u8) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_binding() {
        let q = parse("x", "-- The lowest.\n-- param: township — 乡镇\n-- param: n - how many\n-- example: township=中枢镇 n=3\nselect * from t where a = :township and b::int < :n and c = :townships\n");
        assert_eq!(q.description, "The lowest.");
        assert_eq!(
            q.params,
            [
                ("township".into(), "乡镇".into()),
                ("n".into(), "how many".into())
            ]
        );
        assert_eq!(
            q.example,
            [
                ("township".into(), "中枢镇".into()),
                ("n".into(), "3".into())
            ]
        );
        assert_eq!(literal("NaN"), "'NaN'");
        let sql = bind(
            &q,
            &[
                ("township".into(), "O'Hare".into()),
                ("n".into(), "10".into()),
            ],
        )
        .unwrap();
        assert!(
            sql.contains("a = 'O''Hare' and b::int < 10 and c = :townships"),
            "{sql}"
        );
        let e = bind(&q, &[("township".into(), "x".into())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs --param n=VALUE"), "{e}");
        let e = bind(&q, &[("town".into(), "x".into())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no parameter `town`"), "{e}");
    }

    #[test]
    fn a_value_is_never_read_as_sql_or_as_another_placeholder() {
        let q = parse(
            "x",
            "-- x\n-- param: township — 乡镇\n-- param: year — 年度\nselect ':year' as s, \"a:year\" from t -- :year\nwhere township = :township and y = :year /* :township */\n",
        );
        let sql = bind(
            &q,
            &[
                ("township".into(), ":year".into()),
                ("year".into(), "or 1=1 --".into()),
            ],
        )
        .unwrap();
        assert_eq!(
            sql,
            "-- x\n-- param: township — 乡镇\n-- param: year — 年度\nselect ':year' as s, \"a:year\" from t -- :year\nwhere township = ':year' and y = 'or 1=1 --' /* :township */\n"
        );
    }
}
