//! From a file's headers to canonical columns: configured aliases, a
//! per-source mapping when the file name matches one, and the kind of file
//! recognized from which required columns are present.

use std::collections::HashMap;

use crate::config::{Config, Source};
use crate::contract::Kind;
use crate::headers::fold;

#[derive(Debug, Clone)]
pub struct Mapping {
    pub kind: Kind,
    /// canonical column → position in the file
    pub columns: Vec<(&'static str, usize)>,
    /// canonical column → value for every row (from the source)
    pub constants: Vec<(&'static str, String)>,
    /// headers the file has that pingyi does not use
    pub ignored: Vec<String>,
    pub source: Option<String>,
}

impl Mapping {
    pub fn position(&self, canonical: &str) -> Option<usize> {
        self.columns
            .iter()
            .find(|(c, _)| *c == canonical)
            .map(|c| c.1)
    }
}

/// The configured source whose file-name patterns match `file_name`.
pub fn source_for<'a>(cfg: &'a Config, file_name: &str) -> Option<(&'a str, &'a Source)> {
    cfg.sources
        .iter()
        .find(|(_, s)| s.files.iter().any(|p| wildcard(p, file_name)))
        .map(|(n, s)| (n.as_str(), s))
}

/// `*` and `?` matching on a whole file name.
pub fn wildcard(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Folded header → canonical column, from canonical names, aliases and the source.
pub fn alias_map(cfg: &Config, source: Option<&Source>) -> HashMap<String, &'static str> {
    let canonical = crate::contract::all_columns();
    let mut map: HashMap<String, &'static str> = canonical.iter().map(|c| (fold(c), *c)).collect();
    for (name, aliases) in &cfg.columns {
        if let Some(c) = canonical.iter().find(|c| **c == name) {
            for a in aliases {
                map.insert(fold(a), c);
            }
        }
    }
    if let Some(s) = source {
        for (name, header) in &s.columns {
            if let Some(c) = canonical.iter().find(|c| **c == name) {
                map.insert(fold(header), c);
            }
        }
    }
    map
}

/// Maps headers and decides the kind; Err is the refusal message.
pub fn resolve(
    cfg: &Config,
    headers: &[String],
    source: Option<(&str, &Source)>,
    told: Option<Kind>,
) -> Result<Mapping, String> {
    let map = alias_map(cfg, source.map(|s| s.1));
    let mut columns: Vec<(&'static str, usize)> = Vec::new();
    let mut ignored = Vec::new();
    // A second column meaning the same (评价 and 满意度, an id column twice).
    let mut twice: Vec<(&'static str, usize, usize)> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        match map.get(&fold(h)) {
            Some(c) => match columns.iter().find(|(x, _)| x == c) {
                None => columns.push((c, i)),
                Some(&(_, first)) => twice.push((c, first, i)),
            },
            None if h.trim().is_empty() => {}
            None => ignored.push(unknown_header(i, h)),
        }
    }
    let constants: Vec<(&'static str, String)> = source
        .map(|(_, s)| {
            s.constants
                .iter()
                .filter_map(|(k, v)| {
                    crate::contract::all_columns()
                        .into_iter()
                        .find(|c| c == k)
                        .map(|c| (c, v.clone()))
                })
                .collect()
        })
        .unwrap_or_default();
    let has =
        |c: &str| columns.iter().any(|(x, _)| *x == c) || constants.iter().any(|(x, _)| *x == c);
    let missing = |k: Kind| -> Vec<&'static str> {
        k.columns()
            .iter()
            .filter(|(c, req)| *req && !has(c))
            .map(|(c, _)| *c)
            .collect()
    };
    let kind = match told.or_else(|| source.and_then(|s| s.1.kind)) {
        Some(k) => {
            let m = missing(k);
            if !m.is_empty() {
                return Err(format!(
                    "required columns missing for {}: {}; found: {}",
                    k.name(),
                    describe(cfg, &m),
                    found(headers, &map)
                ));
            }
            k
        }
        None => {
            let complete: Vec<Kind> = Kind::ALL
                .into_iter()
                .filter(|k| missing(*k).is_empty())
                .collect();
            match complete
                .iter()
                .max_by_key(|k| k.columns().iter().filter(|(c, _)| has(c)).count())
            {
                Some(k) => *k,
                None => {
                    // Name the closest kind only, when one has most of its columns.
                    let present =
                        |k: Kind| k.columns().iter().filter(|(c, req)| *req && has(c)).count();
                    let best = Kind::ALL
                        .into_iter()
                        .max_by_key(|k| present(*k))
                        .expect("four kinds");
                    let required = best.columns().iter().filter(|(_, req)| *req).count();
                    let kinds: Vec<Kind> = if 2 * present(best) > required {
                        vec![best]
                    } else {
                        Kind::ALL.to_vec()
                    };
                    let why: Vec<String> = kinds
                        .iter()
                        .map(|k| {
                            format!("as {} it lacks {}", k.name(), describe(cfg, &missing(*k)))
                        })
                        .collect();
                    return Err(format!("cannot tell what this file holds ({}); found headers: {}; name the kind with --kind or add aliases under [columns]", why.join("; "), found(headers, &map)));
                }
            }
        }
    };
    let wanted: Vec<&str> = kind.columns().iter().map(|(c, _)| *c).collect();
    if let Some(&(c, a, b)) = twice.iter().find(|(c, _, _)| wanted.contains(c)) {
        // Taking either would be a guess: the other may hold the real values.
        return Err(format!(
            "columns {} ({}) and {} ({}) both mean {c}: delete or rename one of them, so no value is taken from the wrong one",
            a + 1,
            headers[a],
            b + 1,
            headers[b]
        ));
    }
    for (_, i) in columns.iter().filter(|(c, _)| !wanted.contains(c)) {
        ignored.push(headers[*i].clone());
    }
    for (_, _, i) in &twice {
        ignored.push(headers[*i].clone());
    }
    columns.retain(|(c, _)| wanted.contains(c));
    Ok(Mapping {
        kind,
        columns,
        constants,
        ignored,
        source: source.map(|s| s.0.to_string()),
    })
}

/// The headers as a refusal may quote them: a header pingyi knows as
/// written, any other cell as `unknown_header` shows it.
fn found(headers: &[String], map: &HashMap<String, &'static str>) -> String {
    headers
        .iter()
        .enumerate()
        .map(|(i, h)| match map.get(&fold(h)) {
            Some(_) => h.clone(),
            None if h.trim().is_empty() => format!("column {} (empty)", i + 1),
            None => unknown_header(i, h),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A header cell that names no known column, as messages show it: its
/// position and the first 6 hex digits of its SHA-256, never its text. In a
/// file without a header row the "headers" are the first row of data (a
/// phone number, an ID card number), and messages land in logs, the
/// manifest and the run records. The hash tells two cells apart in a
/// report and checks a guess, but 24 bits cannot name a person: millions of
/// phone numbers share each value.
fn unknown_header(i: usize, h: &str) -> String {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(h.as_bytes());
    format!("column {} (#{})", i + 1, &crate::fsutil::hex(&digest)[..6])
}

/// `rated_at (评议日期)`: a canonical name with its first configured alias.
fn describe(cfg: &Config, cols: &[&str]) -> String {
    cols.iter()
        .map(|c| match cfg.columns.get(*c).and_then(|a| a.first()) {
            Some(a) => format!("{c} ({a})"),
            None => c.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards() {
        assert!(wildcard("*评价器*.jsonl", "评价器导出_2011-2012.jsonl"));
        assert!(wildcard("*.csv", "a.csv"));
        assert!(!wildcard("*.csv", "a.csvx"));
        assert!(wildcard("a?c*", "abcdef"));
    }
}
