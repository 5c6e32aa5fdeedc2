//! The campaign's period as `--period` names it (`2012Q3`, `2012-09`,
//! `2012H2`, `2012`, by the configured granularity): its first and last day,
//! which bound the date column of the entry workbook, and its printed label.

use anyhow::{bail, Result};

use crate::config::{Granularity, Lang};
use crate::dates::{days_in_month, Date};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// As ingest derives it from a rating's date (`2012Q3`).
    pub label: String,
    pub first: Date,
    pub last: Date,
    granularity: Granularity,
}

impl Period {
    /// Parses `text` under the configured granularity; the error says the
    /// form that granularity expects.
    pub fn parse(text: &str, g: Granularity) -> Result<Period> {
        let t = text.trim();
        let parsed = match g {
            Granularity::Quarter => split(t, 'Q')
                .filter(|(_, n)| (1..=4).contains(n))
                .map(|(y, q)| (y, month_span(y, (q - 1) * 3 + 1, 3))),
            Granularity::Half => split(t, 'H')
                .filter(|(_, n)| (1..=2).contains(n))
                .map(|(y, h)| (y, month_span(y, (h - 1) * 6 + 1, 6))),
            Granularity::Month => split(t, '-')
                .filter(|(_, n)| (1..=12).contains(n))
                .map(|(y, m)| (y, month_span(y, m, 1))),
            Granularity::Year => year(t).map(|y| (y, month_span(y, 1, 12))),
        };
        let Some((_, (first, last))) = parsed else {
            bail!(
                "--period `{text}` is not a {} period; write it as {} (period.granularity = \"{}\")",
                name(g),
                example(g),
                name(g)
            );
        };
        // The label ingest gives a rating on that date, so a typed variant
        // such as `2012q3` still names the same partition.
        let label = match g {
            Granularity::Month => format!("{}-{:02}", first.year, first.month),
            Granularity::Quarter => format!("{}Q{}", first.year, first.quarter()),
            Granularity::Half => format!("{}H{}", first.year, if first.month <= 6 { 1 } else { 2 }),
            Granularity::Year => first.year.to_string(),
        };
        Ok(Period {
            label,
            first,
            last,
            granularity: g,
        })
    }

    /// As printed on a form: `2012年第3季度`, `2012 Q3`.
    pub fn printed(&self, lang: Lang) -> String {
        let (y, m) = (self.first.year, self.first.month);
        match (self.granularity, lang) {
            (Granularity::Quarter, Lang::Zh) => format!("{y}年第{}季度", self.first.quarter()),
            (Granularity::Quarter, Lang::En) => format!("{y} Q{}", self.first.quarter()),
            (Granularity::Half, Lang::Zh) => {
                format!("{y}年{}", if m <= 6 { "上半年" } else { "下半年" })
            }
            (Granularity::Half, Lang::En) => format!("{y} H{}", if m <= 6 { 1 } else { 2 }),
            (Granularity::Month, Lang::Zh) => format!("{y}年{m}月"),
            (Granularity::Month, Lang::En) => format!("{y}-{m:02}"),
            (Granularity::Year, Lang::Zh) => format!("{y}年度"),
            (Granularity::Year, Lang::En) => y.to_string(),
        }
    }
}

fn year(t: &str) -> Option<i32> {
    (t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| t.parse().ok())
        .flatten()
        .filter(|y| (1900..=9999).contains(y))
}

/// `2012Q3` → (2012, 3), the separator matched without regard to case.
fn split(t: &str, sep: char) -> Option<(i32, u32)> {
    let upper = t.to_ascii_uppercase();
    let (y, n) = upper.split_once(sep)?;
    Some((year(y)?, n.parse().ok()?))
}

/// First day of `month` and last day `months` later.
fn month_span(y: i32, month: u32, months: u32) -> (Date, Date) {
    let end = month + months - 1;
    let first = Date::new(y, month, 1).expect("month in range");
    let last = Date::new(y, end, days_in_month(y, end)).expect("month in range");
    (first, last)
}

fn name(g: Granularity) -> &'static str {
    match g {
        Granularity::Month => "month",
        Granularity::Quarter => "quarter",
        Granularity::Half => "half",
        Granularity::Year => "year",
    }
}

fn example(g: Granularity) -> &'static str {
    match g {
        Granularity::Month => "2012-09",
        Granularity::Quarter => "2012Q3",
        Granularity::Half => "2012H2",
        Granularity::Year => "2012",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_halves_months_and_years() {
        let q = Period::parse("2012q3", Granularity::Quarter).unwrap();
        assert_eq!(
            (q.label.as_str(), q.first.to_string(), q.last.to_string()),
            ("2012Q3", "2012-07-01".into(), "2012-09-30".into())
        );
        assert_eq!(q.printed(Lang::Zh), "2012年第3季度");
        let h = Period::parse("2012H1", Granularity::Half).unwrap();
        assert_eq!(h.last.to_string(), "2012-06-30");
        let m = Period::parse("2012-02", Granularity::Month).unwrap();
        assert_eq!(m.last.to_string(), "2012-02-29");
        assert_eq!(
            Period::parse("2012", Granularity::Year)
                .unwrap()
                .last
                .to_string(),
            "2012-12-31"
        );
    }

    #[test]
    fn a_period_of_another_granularity_is_refused_with_the_expected_form() {
        for bad in ["2012Q5", "2012-09", "12Q3", "2012Q", ""] {
            let err = Period::parse(bad, Granularity::Quarter)
                .unwrap_err()
                .to_string();
            assert!(err.contains("write it as 2012Q3"), "{bad}: {err}");
        }
    }
}
