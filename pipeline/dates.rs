//! Civil dates without a time zone: validation, day arithmetic, quarters,
//! Excel serial numbers and the written forms exports use (2012-09-03,
//! 2012/9/3, 2012.9.3, 2012年9月3日).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// A date, or None when it does not exist (2012-02-30).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    pub fn to_days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.to_days() + n)
    }

    pub fn quarter(self) -> u32 {
        (self.month - 1) / 3 + 1
    }

    /// Excel's 1900 date system serial (1 = 1900-01-01, with Lotus's phantom
    /// 1900-02-29, hence the epoch 1899-12-30 for dates after February 1900).
    pub fn excel_serial(self) -> i64 {
        self.to_days() - Date::new(1899, 12, 30).expect("valid").to_days()
    }

    pub fn zh(self) -> String {
        format!("{}年{}月{}日", self.year, self.month, self.day)
    }

    pub fn slash(self) -> String {
        format!("{}/{}/{}", self.year, self.month, self.day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A date as people type it: 2012-09-03, 2012/9/3, 2012.9.3, 2012年9月3日,
/// or an Excel serial number (1950–2099), each optionally followed by a
/// time of day (`14:30`, `14:30:00`, `14:30:00.5`, with `Z` or `+08:00`).
/// None when it is none of these, the day does not exist (2012-02-30) or
/// the time does not (25:00): a date with a broken time is not trusted.
pub fn parse_loose(text: &str) -> Option<Date> {
    let t = text.trim();
    let (day, time) = match t
        .char_indices()
        .find(|(_, c)| *c == 'T' || c.is_whitespace())
    {
        Some((i, c)) => (&t[..i], Some(t[i + c.len_utf8()..].trim())),
        None => (t, None),
    };
    if time.is_some_and(|tm| !is_time(tm)) {
        return None;
    }
    if day.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && day.bytes().filter(|&b| b == b'.').count() <= 1
        && day.starts_with(|c: char| c.is_ascii_digit())
    {
        if let Ok(serial) = day.parse::<f64>() {
            // Only serials of 1950–2099 count, so a bare year such as 2012 is not one.
            return (18_264.0..73_051.0)
                .contains(&serial)
                .then(|| Date::from_days(serial.floor() as i64 - 25_569));
        }
    }
    // A sign or separator before the year (`-2012-01-01`) is not a date.
    if !day.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mut parts = day
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty());
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The time of day a date text carries, as `HH:MM:SS` (the clock as
/// written: an offset is not applied, as dates are civil), or None when it
/// has no time or is not a date `parse_loose` accepts. An Excel serial's
/// fraction is a time too (0.5 is noon). Kept at ingest so that a burst of
/// votes at 03:00 can be found afterwards (integrity checks); a date
/// without a time is never given one.
pub fn time_of_day(text: &str) -> Option<String> {
    parse_loose(text)?;
    let t = text.trim();
    let seconds = match t
        .char_indices()
        .find(|(_, c)| *c == 'T' || c.is_whitespace())
    {
        Some((i, c)) => clock_seconds(t[i + c.len_utf8()..].trim())?,
        None => {
            let serial: f64 = t.parse().ok()?;
            let fraction = serial - serial.floor();
            if fraction == 0.0 || !t.contains('.') {
                return None;
            }
            ((fraction * 86_400.0).round() as u32).min(86_399)
        }
    };
    Some(format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    ))
}

/// Seconds after midnight of a time `is_time` accepts (fraction and offset
/// dropped).
fn clock_seconds(t: &str) -> Option<u32> {
    let t = t.strip_suffix(['Z', 'z']).unwrap_or(t);
    let t = t.rfind(['+', '-']).map_or(t, |i| &t[..i]);
    let mut parts = t.split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let s: u32 = match parts.next() {
        Some(s) => s.split('.').next()?.parse().ok()?,
        None => 0,
    };
    Some(h * 3600 + m * 60 + s)
}

/// A time of day: H:MM, H:MM:SS or H:MM:SS.fraction (hour 0–23, minutes
/// and seconds 0–59), optionally followed by `Z` or an offset `±HH:MM`.
fn is_time(t: &str) -> bool {
    let t = t.strip_suffix(['Z', 'z']).unwrap_or(t);
    let t = match t.rfind(['+', '-']) {
        Some(i) => {
            let offset = &t[i + 1..];
            if !offset.is_ascii() {
                return false;
            }
            let ok = matches!(offset.split_once(':'), Some((h, m)) if two_digits(h, 14) && two_digits(m, 59))
                || (offset.len() == 4
                    && two_digits(&offset[..2], 14)
                    && two_digits(&offset[2..], 59));
            if !ok {
                return false;
            }
            &t[..i]
        }
        None => t,
    };
    let mut parts = t.split(':');
    let (Some(h), Some(m)) = (parts.next(), parts.next()) else {
        return false;
    };
    let s = parts.next();
    if parts.next().is_some() {
        return false;
    }
    let hour_ok = (1..=2).contains(&h.len())
        && h.bytes().all(|b| b.is_ascii_digit())
        && h.parse::<u32>().is_ok_and(|h| h <= 23);
    let sec_ok = s.is_none_or(|s| {
        let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
        two_digits(whole, 59) && !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit())
    });
    hour_ok && two_digits(m, 59) && sec_ok
}

/// Exactly two ASCII digits, at most `max`.
fn two_digits(t: &str, max: u32) -> bool {
    t.len() == 2
        && t.bytes().all(|b| b.is_ascii_digit())
        && t.parse::<u32>().is_ok_and(|v| v <= max)
}

/// The dates an export may carry: a date before `earliest` or after
/// `latest` (the run's as-of date) is a typo or a wrong column, not data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub earliest: Date,
    pub latest: Date,
}

/// The earliest date when the configuration sets none.
pub const DEFAULT_EARLIEST: Date = Date {
    year: 2000,
    month: 1,
    day: 1,
};

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A calendar quarter, e.g. 2012Q3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    pub q: u32,
}

impl Quarter {
    pub fn first_day(self) -> Date {
        Date::new(self.year, (self.q - 1) * 3 + 1, 1).expect("valid quarter")
    }

    pub fn last_day(self) -> Date {
        self.next().first_day().add_days(-1)
    }

    pub fn next(self) -> Quarter {
        if self.q == 4 {
            Quarter {
                year: self.year + 1,
                q: 1,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q + 1,
            }
        }
    }

    pub fn nth_after(self, n: u32) -> Quarter {
        (0..n).fold(self, |q, _| q.next())
    }

    pub fn days(self) -> i64 {
        self.last_day().to_days() - self.first_day().to_days() + 1
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.q)
    }
}

/// `--as-of`, else the configured as-of date, else today (UTC).
pub fn as_of(flag: Option<&str>, configured: &str) -> anyhow::Result<Date> {
    let text = flag
        .map(str::to_string)
        .or_else(|| (!configured.is_empty()).then(|| configured.to_string()));
    match text {
        Some(t) => anyhow::Context::with_context(parse_loose(&t), || {
            format!("--as-of `{t}` is not a date; write YYYY-MM-DD")
        }),
        None => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            Ok(Date::from_days((secs / 86_400) as i64))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_days_and_known_serials() {
        for days in -800_000..800_000i64 {
            if days % 997 == 0 {
                assert_eq!(Date::from_days(days).to_days(), days);
            }
        }
        // Excel shows 41155 for 2012-09-03.
        assert_eq!(Date::new(2012, 9, 3).unwrap().excel_serial(), 41155);
        assert_eq!(Date::new(1970, 1, 1).unwrap().to_days(), 0);
    }

    #[test]
    fn keeps_the_time_of_day_and_never_invents_one() {
        assert_eq!(
            time_of_day("2012-09-03 03:00:07").as_deref(),
            Some("03:00:07")
        );
        assert_eq!(time_of_day("2012/9/3T14:30").as_deref(), Some("14:30:00"));
        assert_eq!(
            time_of_day("2012-09-03T14:30:00.5+08:00").as_deref(),
            Some("14:30:00")
        );
        assert_eq!(time_of_day("41155.5").as_deref(), Some("12:00:00"));
        assert_eq!(time_of_day("2012-09-03"), None);
        assert_eq!(time_of_day("41155"), None);
        assert_eq!(time_of_day("2012-09-03 25:00"), None);
    }

    #[test]
    fn rejects_impossible_dates() {
        assert!(Date::new(2012, 2, 29).is_some());
        assert!(Date::new(2011, 2, 29).is_none());
        assert!(Date::new(2012, 13, 1).is_none());
        assert!(Date::new(2012, 4, 31).is_none());
    }

    #[test]
    fn parses_the_forms_people_type() {
        let want = Date::new(2012, 9, 3);
        for t in [
            "2012-09-03",
            "2012/9/3",
            "2012.9.3",
            "2012年9月3日",
            " 2012-9-3 ",
            "41155",
            "41155.5",
            "2012-09-03 14:30:00",
            "2012-09-03T08:00",
            "2012年9月3日 10:15",
            "2012-09-03T08:00:00Z",
            "2012-09-03T08:00:00+08:00",
            "2012-09-03 8:05:59.250",
        ] {
            assert_eq!(parse_loose(t), want, "{t}");
        }
        for t in [
            "2012-02-30",
            "2012/13/5",
            "2012.9.31",
            "2012",
            "12-9-3",
            "九月三日",
            "",
            "2012-9-3-1",
            "1900",
            "-2012-01-01",
            "+41155",
            "4.1155e4",
            "2012-09-03T25:00:00",
            "2012-09-03 12:60",
            "2012-09-03 12:00:61",
            "2012-09-03 noon",
            "2012-09-03 12",
            "9999\u{3000}-12-日3",
            "2012-09-03 10:00+日3",
        ] {
            assert_eq!(parse_loose(t), None, "{t}");
        }
    }

    #[test]
    fn quarters() {
        let q = Quarter { year: 2011, q: 4 };
        assert_eq!(q.next().to_string(), "2012Q1");
        assert_eq!(q.last_day().to_string(), "2011-12-31");
        assert_eq!(Quarter { year: 2012, q: 1 }.days(), 91);
    }
}
