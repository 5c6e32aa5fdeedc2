//! JSON-lines exports (evaluation devices): one object per line; keys become
//! headers in order of first appearance; a line that is not an object is set
//! aside with the parser's message.

use std::path::Path;

use anyhow::{Context, Result};

use super::decode;
use super::table::{from_rows, BadRow, RawTable};

pub fn read(path: &Path) -> Result<std::result::Result<RawTable, String>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = match decode::decode(&bytes, crate::config::Encoding::Utf8, 1) {
        Ok(t) => t,
        Err(mut e) => {
            e.how = "JSON lines are always UTF-8";
            return Ok(Err(e.to_string()));
        }
    };
    let mut headers: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let n = (i + 1) as u32;
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
            Ok(obj) => {
                let mut cells = vec![None; headers.len()];
                for (k, v) in obj {
                    let at = headers.iter().position(|h| *h == k).unwrap_or_else(|| {
                        headers.push(k.clone());
                        cells.push(None);
                        headers.len() - 1
                    });
                    cells[at] = value_text(&v);
                }
                rows.push((n, cells));
            }
            Err(e) => bad.push(BadRow {
                line: n,
                reason: format!("not a JSON object: {e}"),
                raw: line.to_string(),
                fields: None,
            }),
        }
    }
    if rows.is_empty() {
        return Ok(Err(match bad.first() {
            None => "the file is empty".into(),
            Some(b) => format!("no line is a JSON object (line {}: {})", b.line, b.reason),
        }));
    }
    Ok(Ok(RawTable {
        sheet: None,
        df: from_rows(&headers, rows),
        headers,
        bad,
    }))
}

fn value_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
