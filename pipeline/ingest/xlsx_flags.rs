//! Workbook rows that must not count as they read: a hidden row (the person
//! who checked the sheet never saw it) is quarantined as `hidden_row`; a
//! formula in a rating, id or date column is quarantined as `formula_cell`
//! (its cached result is whatever the last program to save the file wrote,
//! not what the formula says: `="不满意"` cached as 满意), unless the
//! formula is a plain constant equal to its cached value (`="满意"`).
//! Decided once the sheet's mapping is known, so only the columns that
//! matter are checked.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use super::mapping::Mapping;
use super::table::{col_name, BadRow, RawTable, LINE};
use super::xlsx_stream::Formula;

/// A flagged row of a sheet.
pub enum Flag {
    /// A hidden row: its Excel row number.
    Hidden(u32),
    Formula(Formula),
}

/// Columns whose value must be what the sheet shows.
const GUARDED: [&str; 10] = [
    "response_id",
    "subject_id",
    "rater_id",
    "rated_at",
    "rating",
    "person_id",
    "suggestion_id",
    "received_at",
    "deadline",
    "closed_at",
];

/// Moves the flagged rows of `t` out of its cells into its rows set aside.
pub fn divert(m: &Mapping, t: &mut RawTable, flags: Vec<Flag>) -> Result<()> {
    let guarded: Vec<usize> = GUARDED.iter().filter_map(|c| m.position(c)).collect();
    // One reason per row: hidden first, then the row's first bad formula.
    let mut why: BTreeMap<u32, (&'static str, String)> = BTreeMap::new();
    for flag in flags {
        match flag {
            Flag::Hidden(line) => {
                why.insert(line, ("hidden_row", "the row is hidden in the workbook: what nobody sees is not counted; unhide the row if it holds a real rating and ingest the file again".into()));
            }
            Flag::Formula(f) if guarded.contains(&f.column) && !constant(&f) => {
                let header = t.headers.get(f.column).cloned().unwrap_or_default();
                why.entry(f.line).or_insert(("formula_cell", format!(
                    "column {} ({header}) holds the formula ={} and shows its last result: a formula's result is not a recorded answer; type the value itself into the cell",
                    f.column + 1,
                    f.formula
                )));
            }
            Flag::Formula(_) => {}
        }
    }
    if why.is_empty() {
        return Ok(());
    }
    let lines = t.df.column(LINE)?.u32()?.clone();
    let flagged: BooleanChunked = lines
        .iter()
        .map(|l| Some(l.is_some_and(|l| why.contains_key(&l))))
        .collect();
    let set_aside = t.df.filter(&flagged)?;
    let texts = (0..t.headers.len())
        .map(|i| Ok(set_aside.column(&col_name(i))?.str()?.clone()))
        .collect::<Result<Vec<_>>>()?;
    for (r, line) in set_aside.column(LINE)?.u32()?.iter().enumerate() {
        let line = line.unwrap_or(0);
        let Some((code, reason)) = why.remove(&line) else {
            continue;
        };
        let fields: Vec<String> = texts
            .iter()
            .map(|c| c.get(r).unwrap_or_default().to_string())
            .collect();
        t.bad.push(BadRow {
            line,
            code,
            reason,
            raw: fields.join(","),
            fields: Some((fields, ',')),
        });
    }
    t.df = t.df.filter(&!&flagged)?;
    Ok(())
}

/// Whether a formula is a plain constant (`"满意"`, `3`) equal to its
/// cached result.
fn constant(f: &Formula) -> bool {
    let text = f.formula.trim();
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        // Inside a string literal a quote is written twice.
        if inner.replace("\"\"", "").contains('"') {
            return false;
        }
        return inner.replace("\"\"", "\"") == f.cached;
    }
    matches!(
        (text.parse::<f64>(), f.cached.parse::<f64>()),
        (Ok(a), Ok(b)) if a == b
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(formula: &str, cached: &str) -> Formula {
        Formula {
            line: 2,
            column: 0,
            formula: formula.into(),
            cached: cached.into(),
        }
    }

    #[test]
    fn only_a_constant_equal_to_its_result_passes() {
        assert!(constant(&f("\"满意\"", "满意")));
        assert!(constant(&f("3", "3")));
        assert!(constant(&f("\"说\"\"好\"\"\"", "说\"好\"")));
        assert!(!constant(&f("\"不满意\"", "满意")));
        assert!(!constant(&f("A1", "满意")));
        assert!(!constant(&f("\"满\"&\"意\"", "满意")));
        assert!(!constant(&f("1+2", "3")));
    }
}
