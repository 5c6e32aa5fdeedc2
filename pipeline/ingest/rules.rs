//! What every row check of ingest shares: the context a check reads (the
//! configuration, date bounds, the roster so far, the rater key, the cases),
//! the outcome (accepted rows, failing rows and the reason of each check),
//! and the builders of the common checks (required, an id Excel rounded,
//! a value outside the configured names, a date that does not exist or
//! cannot be right). A leaf under `validate.rs` (other kinds), `ratings.rs`
//! (ratings, on their dictionaries), `case_rows.rs` and `traditional.rs`.

use std::collections::HashMap;

use polars::prelude::*;

use super::exprs::Check;
use crate::config::Config;
use crate::dates::Bounds;

pub struct Context<'a> {
    pub cfg: &'a Config,
    /// Dates outside these are quarantined as `bad_date`.
    pub bounds: Bounds,
    /// Subject ids known so far: the warehouse's roster and this batch's.
    pub subjects: Series,
    /// Source value → scale label, for a source with its own scale.
    pub source_scale: Vec<(String, String)>,
    /// The key rater ids are hashed with (`privacy`), when there is one.
    pub key: Option<&'a [u8]>,
    /// The 诫勉谈话 cases last computed, as (case_id, opened_on in days
    /// since 1970): a case record must name one and not predate it.
    pub cases: &'a [(String, String)],
}

/// Rows that passed, in canonical columns (plus `__line`, and `__rater_id` /
/// `__person_id` to hash): ratings coded, other kinds as a frame.
pub enum Accepted {
    Frame(DataFrame),
    Coded(super::piece::Piece),
}

pub struct Validated {
    pub accepted: Accepted,
    /// Failing rows: `__check` (index into `checks`), `__line` and the raw `c{i}` cells.
    pub failed: DataFrame,
    /// (column, reason, detail) of each check, by index.
    pub checks: Vec<(&'static str, &'static str, String)>,
}

impl Validated {
    /// The outcome of checks listed in the order their indices number them.
    pub fn new(
        accepted: Accepted,
        failed: DataFrame,
        checks: impl IntoIterator<Item = Check>,
    ) -> Validated {
        Validated {
            accepted,
            failed,
            checks: checks
                .into_iter()
                .map(|c| (c.column, c.reason, c.detail))
                .collect(),
        }
    }
}

/// Parsed-date expressions by column, each through a dictionary of the
/// column's distinct texts.
pub(super) type Dates = HashMap<&'static str, Expr>;

pub(super) type Plan = (Vec<Expr>, Vec<Check>, Vec<Expr>);

pub(super) fn missing(column: &'static str, header: &dyn Fn(&str) -> String) -> Check {
    Check {
        column,
        bad: col(column).is_null(),
        reason: "missing_required",
        detail: format!("{} is required but empty", header(column)),
    }
}

/// An id in scientific notation (`4.10101E+17`): Excel stores a long
/// number typed into a cell not formatted as text (an ID card number, an
/// 18-digit form number) as a number with 15 significant digits, so the
/// last digits are gone and different people or forms would be taken for
/// one (a merged rater, a false duplicate).
pub(super) fn rounded_id(column: &'static str, header: &dyn Fn(&str) -> String) -> Check {
    Check {
        column,
        bad: col(column)
            .str()
            .contains(lit(r"^[0-9](\.[0-9]+)?[Ee]\+?[0-9]+$"), false)
            .fill_null(false),
        reason: "bad_value",
        detail: format!(
            "{} is a number in scientific notation: Excel keeps 15 digits of a number, so the last digits of this id are lost; format the column as text (or type ' before the id) and enter the ids again",
            header(column)
        ),
    }
}

pub(super) fn unknown(
    column: &'static str,
    mapped: &str,
    reason: &'static str,
    header: &dyn Fn(&str) -> String,
    allowed: &[String],
) -> Check {
    Check {
        column,
        bad: col(column).is_not_null().and(col(mapped).is_null()),
        reason,
        detail: format!(
            "{} is not one of the configured values: {}",
            header(column),
            allowed.join(", ")
        ),
    }
}

pub(super) fn bad_date(
    column: &'static str,
    parsed: &str,
    header: &dyn Fn(&str) -> String,
) -> Check {
    Check {
        column,
        bad: col(column).is_not_null().and(col(parsed).is_null()),
        reason: "bad_date",
        detail: format!("{} is not a date that exists; write it as 2012-09-03, 2012/9/3, 2012.9.3 or 2012年9月3日", header(column)),
    }
}

/// A date that exists but cannot be right: before `period.earliest`, or
/// (when `upper`) after the as-of date.
pub(super) fn out_of_bounds(
    column: &'static str,
    parsed: &str,
    header: &dyn Fn(&str) -> String,
    b: Bounds,
    upper: bool,
) -> Check {
    let day = |d: crate::dates::Date| lit(d.to_days() as i32).cast(DataType::Date);
    let mut bad = col(parsed).lt(day(b.earliest));
    let mut detail = format!(
        "{} is before {} (period.earliest)",
        header(column),
        b.earliest
    );
    if upper {
        bad = bad.or(col(parsed).gt(day(b.latest)));
        detail = format!(
            "{} is before {} (period.earliest) or after the as-of date {}",
            header(column),
            b.earliest,
            b.latest
        );
    }
    Check {
        column,
        bad: col(parsed).is_not_null().and(bad),
        reason: "bad_date",
        detail: format!("{detail}: correct the date (a typo or a value from another column), or set period.earliest / --as-of if it is right"),
    }
}

pub(super) fn names(items: &[crate::config::Named]) -> Vec<String> {
    items.iter().map(|n| n.name.clone()).collect()
}
