//! The one rule for text that a spreadsheet would run as a formula (CSV
//! injection), used by every CSV and XLSX text cell pingyi writes: report
//! tables, the quarantine CSV, `query` and `ledger` output, the random-draw
//! list. Subject names, comments and ledger text come from user exports, so
//! a cell such as `=HYPERLINK(…)` or `-2+3+cmd|' /C calc'!A0` must reach
//! Excel as text.
//!
//! The rule is OWASP's: a cell starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return gets a leading apostrophe. Only text cells: numbers are
//! written as numbers and a negative number is not a formula.

use std::borrow::Cow;

use polars::prelude::{ChunkApply, DataFrame, DataType, IntoColumn, PolarsResult};

/// Whether Excel (or LibreOffice, or Sheets) could take `t` for a formula.
pub fn is_risky(t: &str) -> bool {
    matches!(t.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'))
}

/// `t`, with a leading `'` when it could be taken for a formula.
pub fn defuse(t: &str) -> Cow<'_, str> {
    if is_risky(t) {
        Cow::Owned(format!("'{t}"))
    } else {
        Cow::Borrowed(t)
    }
}

/// The frame with every text column defused; other columns unchanged.
pub fn defuse_frame(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut out = df.clone();
    for name in df.get_column_names_owned() {
        let column = df.column(&name)?;
        if column.dtype() == &DataType::String {
            let defused = column.str()?.apply_values(defuse);
            out.replace(&name, defused.into_column())?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owasp_leading_characters_are_defused_and_nothing_else() {
        for t in [
            "=HYPERLINK(\"http://x\")",
            "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "-",
        ] {
            assert_eq!(defuse(t), format!("'{t}"), "{t:?}");
        }
        for t in ["中枢镇", "a=b", "", " =1", "'=1", "2012-09-03"] {
            assert_eq!(defuse(t), t, "{t:?}");
        }
    }
}
