//! The working-day calendar (工作日): which days count toward a deadline
//! given in working days, and when a deadline that falls on a day off falls
//! due. Built from a versioned file of the State Council's annual holiday
//! notices (`cn-holidays.toml`, built in; `[calendar] file` for a county's
//! own copy): the days off (放假) and the weekend days worked instead
//! (调休上班). A date in a year the file does not cover is an error naming
//! the file — never a silent count of calendar days.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::dates::{parse_loose, Date};

const BUILT_IN: &str = include_str!("cn-holidays.toml");
const BUILT_IN_NAME: &str = "the built-in calendar (pipeline/calendar/cn-holidays.toml)";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    years: BTreeMap<String, Year>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Year {
    notice: String,
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
}

/// A calendar loaded from one file: the years it covers and their days.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    /// Where it came from, for error messages.
    pub source: String,
    years: BTreeSet<i32>,
    holidays: HashSet<i64>,
    workdays: HashSet<i64>,
}

impl WorkCalendar {
    /// The calendar of `[calendar] file` (relative paths are resolved by
    /// the configuration loader), or the built-in one when none is set.
    pub fn load(file: Option<&Path>) -> Result<WorkCalendar> {
        match file {
            None => parse(BUILT_IN, BUILT_IN_NAME),
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read the working-day calendar {}", path.display())
                })?;
                parse(&text, &path.display().to_string())
            }
        }
    }

    /// Whether `d` is a working day: a 调休 workday, else not a holiday and
    /// not a weekend. Errors when the calendar does not cover its year.
    pub fn is_workday(&self, d: Date) -> Result<bool> {
        self.require(d.year)?;
        let days = d.to_days();
        if self.workdays.contains(&days) {
            return Ok(true);
        }
        // 1970-01-01 was a Thursday: day 0 → weekday index 3 (Mon = 0).
        let weekday = (days + 3).rem_euclid(7);
        Ok(weekday < 5 && !self.holidays.contains(&days))
    }

    /// The working day `n` working days after `d` (n ≥ 1): a deadline of
    /// "n 个工作日" from `d`.
    pub fn add_workdays(&self, d: Date, n: u32) -> Result<Date> {
        let mut day = d;
        let mut left = n;
        while left > 0 {
            day = day.add_days(1);
            if self.is_workday(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// When a deadline falls due: the deadline itself when it is a working
    /// day, else the next working day (a period ending on a day off ends on
    /// the next working day, as the Civil Code, art. 203, counts it).
    pub fn due(&self, deadline: Date) -> Result<Date> {
        let mut day = deadline;
        while !self.is_workday(day)? {
            day = day.add_days(1);
        }
        Ok(day)
    }

    /// Working days after `from` up to and including `to` (0 when `to` is
    /// not after `from`): how many working days an item is overdue.
    pub fn workdays_between(&self, from: Date, to: Date) -> Result<i64> {
        let mut n = 0;
        let mut day = from.add_days(1);
        while day <= to {
            n += i64::from(self.is_workday(day)?);
            day = day.add_days(1);
        }
        Ok(n)
    }

    /// The years covered, first to last.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    fn require(&self, year: i32) -> Result<()> {
        if self.years.contains(&year) {
            return Ok(());
        }
        let covered: Vec<String> = self.years.iter().map(i32::to_string).collect();
        bail!(
            "the working-day calendar {} has no holiday arrangements for {year} (it covers {}): add the State Council's notice of {year} (国务院办公厅关于{year}年部分节假日安排的通知) to it, or point `[calendar] file` at a calendar that has it",
            self.source,
            covered.join(", ")
        )
    }
}

fn parse(text: &str, source: &str) -> Result<WorkCalendar> {
    let file: File = toml::from_str(text)
        .with_context(|| format!("the working-day calendar {source} is not valid"))?;
    if file.version != 1 {
        bail!(
            "the working-day calendar {source} has version {}; this pingyi reads version 1",
            file.version
        );
    }
    let mut cal = WorkCalendar {
        source: source.to_string(),
        years: BTreeSet::new(),
        holidays: HashSet::new(),
        workdays: HashSet::new(),
    };
    for (key, year) in &file.years {
        let y: i32 = key
            .parse()
            .with_context(|| format!("{source}: `years.{key}` is not a year"))?;
        if year.notice.trim().is_empty() {
            bail!("{source}: years.{key} names no notice (its document number, e.g. 国办发明电〔2011〕39号)");
        }
        cal.years.insert(y);
        for text in &year.holidays {
            let (first, last) = range(text, source, key)?;
            cal.holidays.extend(first.to_days()..=last.to_days());
        }
        for text in &year.workdays {
            cal.workdays.insert(day(text, source, key)?.to_days());
        }
    }
    if let Some(both) = cal.workdays.intersection(&cal.holidays).next() {
        bail!(
            "{source}: {} is both a holiday and a 调休 workday",
            Date::from_days(*both)
        );
    }
    Ok(cal)
}

fn range(text: &str, source: &str, year: &str) -> Result<(Date, Date)> {
    let (a, b) = text.split_once("..").unwrap_or((text, text));
    let (first, last) = (day(a, source, year)?, day(b, source, year)?);
    if last < first {
        bail!("{source}: years.{year}: the range `{text}` ends before it starts");
    }
    Ok((first, last))
}

fn day(text: &str, source: &str, year: &str) -> Result<Date> {
    parse_loose(text.trim())
        .with_context(|| format!("{source}: years.{year}: `{text}` is not a date (YYYY-MM-DD)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        parse_loose(text).unwrap()
    }

    /// The 2012 National Day week: 9-30 to 10-7 off, Saturday 9-29 worked.
    #[test]
    fn the_2012_national_day_week_and_its_saturday_worked() {
        let cal = WorkCalendar::load(None).unwrap();
        assert!(cal.is_workday(d("2012-09-29")).unwrap(), "调休 Saturday");
        for off in ["2012-09-30", "2012-10-01", "2012-10-03", "2012-10-07"] {
            assert!(!cal.is_workday(d(off)).unwrap(), "{off}");
        }
        assert!(cal.is_workday(d("2012-10-08")).unwrap());
        assert!(
            !cal.is_workday(d("2012-10-13")).unwrap(),
            "an ordinary Saturday"
        );
        assert_eq!(
            cal.add_workdays(d("2012-09-28"), 1).unwrap(),
            d("2012-09-29")
        );
        assert_eq!(
            cal.add_workdays(d("2012-09-28"), 2).unwrap(),
            d("2012-10-08")
        );
        // Ten working days from Friday 9-28: 9-29, then 10-8 … 10-12, 10-15 … 10-18.
        assert_eq!(
            cal.add_workdays(d("2012-09-28"), 10).unwrap(),
            d("2012-10-18")
        );
        assert_eq!(cal.due(d("2012-10-01")).unwrap(), d("2012-10-08"));
        assert_eq!(cal.due(d("2012-09-29")).unwrap(), d("2012-09-29"));
        assert_eq!(
            cal.workdays_between(d("2012-09-28"), d("2012-10-08"))
                .unwrap(),
            2
        );
        // 2011-12-31, a Saturday, was worked (the 2012 notice).
        assert!(cal.is_workday(d("2011-12-31")).unwrap());
    }

    #[test]
    fn a_year_the_file_does_not_cover_is_an_error_naming_the_file() {
        let cal = WorkCalendar::load(None).unwrap();
        let err = cal
            .add_workdays(d("2013-12-30"), 5)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("2014") && err.contains("cn-holidays.toml"),
            "{err}"
        );
        let text = "version = 1\n[years.2012]\nnotice = \"x\"\nholidays = [\"2012-10-01\"]\nworkdays = [\"2012-10-01\"]\n";
        assert!(parse(text, "t.toml")
            .unwrap_err()
            .to_string()
            .contains("both"));
    }
}
