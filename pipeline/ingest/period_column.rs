//! A rating's period comes from its date (`periods.rs`); an export may also
//! carry a period column (评议期次). When that column names a period the
//! date does not fall in (2013Q1 beside 2012-09-03), one of the two is
//! wrong and the rating would be counted in a period nobody meant: the row
//! is quarantined as `bad_date`. A period text that is no period label
//! (`第一次评议`) says nothing about the date and is left alone, as before.

use std::sync::OnceLock;

use regex::Regex;

use crate::dates::{days_in_month, Date};

/// The first and last day (days since 1970-01-01) a period label spans:
/// 2012, 2012年, 2012Q3, 2012年第三季度, 2012H1, 2012年上半年, 2012-07,
/// 2012年7月. None for any other text.
pub fn span(text: &str) -> Option<(i32, i32)> {
    static FORMS: OnceLock<[Regex; 4]> = OnceLock::new();
    let [year, quarter, half, month] = FORMS.get_or_init(|| {
        [
            r"^(\d{4})年?$",
            r"^(\d{4})(?:\s*[Qq]|-[Qq]|年第?)([1-4一二三四])(?:季度)?$",
            r"^(\d{4})(?:\s*[Hh]|年)([12上下])(?:半年)?$",
            r"^(\d{4})(?:[-/.]|年)(\d{1,2})月?$",
        ]
        .map(|p| Regex::new(p).expect("valid pattern"))
    });
    let text = text.trim();
    let days = |from: Option<Date>, to: Option<Date>| Some((day(from?), day(to?)));
    if let Some(c) = year.captures(text) {
        let y = c[1].parse().ok()?;
        return days(Date::new(y, 1, 1), Date::new(y, 12, 31));
    }
    if let Some(c) = quarter.captures(text) {
        let y = c[1].parse().ok()?;
        let q = "1234一二三四".chars().position(|d| c[2].starts_with(d))? as u32 % 4 + 1;
        return months(y, 3 * q - 2, 3 * q);
    }
    if let Some(c) = half.captures(text) {
        let y = c[1].parse().ok()?;
        let first = matches!(&c[2], "1" | "上");
        return if first {
            months(y, 1, 6)
        } else {
            months(y, 7, 12)
        };
    }
    if let Some(c) = month.captures(text) {
        let (y, m) = (c[1].parse().ok()?, c[2].parse().ok()?);
        return months(y, m, m);
    }
    None
}

/// Months `from..=to` of year `y`.
fn months(y: i32, from: u32, to: u32) -> Option<(i32, i32)> {
    if !(1..=12).contains(&to) {
        return None;
    }
    Some((
        day(Date::new(y, from, 1)?),
        day(Date::new(y, to, days_in_month(y, to))?),
    ))
}

fn day(d: Date) -> i32 {
    d.to_days() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_labels_span_their_days() {
        let d = |y, m, dd| day(Date::new(y, m, dd).unwrap());
        let q3 = Some((d(2012, 7, 1), d(2012, 9, 30)));
        for t in [
            "2012Q3",
            "2012q3",
            "2012-Q3",
            "2012年第三季度",
            "2012年3季度",
            "2012年第3季度",
        ] {
            assert_eq!(span(t), q3, "{t}");
        }
        assert_eq!(span("2012"), Some((d(2012, 1, 1), d(2012, 12, 31))));
        assert_eq!(span("2012年上半年"), Some((d(2012, 1, 1), d(2012, 6, 30))));
        assert_eq!(span("2012H2"), Some((d(2012, 7, 1), d(2012, 12, 31))));
        assert_eq!(span("2012-02"), Some((d(2012, 2, 1), d(2012, 2, 29))));
        assert_eq!(span("2012年11月"), Some((d(2012, 11, 1), d(2012, 11, 30))));
        assert_eq!(span("第一次评议"), None);
        assert_eq!(span("2012-13"), None);
    }
}
