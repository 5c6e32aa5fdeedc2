//! What turns the public board into a 公示 people can act on: how long it
//! runs (公示期, in working days from the versioned calendar), where to
//! object (监督电话, address, email from `[report]`), and what the grades
//! mean, in words. A township prints it and posts it; someone reading it on
//! the wall must learn by when and to whom to object without asking.

use serde::Serialize;

use super::format::{fill, pct};
use super::templates::Labels;
use crate::config::Config;
use crate::dates::{parse_loose, Date};

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// 公示期, first and last day; empty when the as-of date is unreadable.
    pub start: String,
    pub end: String,
    /// "5 个工作日" / "5 working days".
    pub length: String,
    /// Set when working days were asked for but the calendar lacks the
    /// year: the notice then says it counted calendar days, rather than
    /// quietly doing so.
    pub calendar_note: String,
    /// The contact lines that are configured (label, value), in order.
    pub contacts: Vec<(String, String)>,
    /// Where to ask when no contact is configured (names the issuer).
    pub ask: String,
    /// Each grade band in words, highest first.
    pub bands: Vec<String>,
}

pub fn build(cfg: &Config, as_of: &str, labels: &Labels) -> Notice {
    let r = &cfg.report;
    let (start, end, length, calendar_note) = match parse_loose(as_of) {
        Some(d) => period(cfg, d, labels),
        None => Default::default(),
    };
    let contacts = [
        ("objection_phone", &r.objection_phone),
        ("objection_address", &r.objection_address),
        ("objection_email", &r.objection_email),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| (labels.get(k), v.trim().to_string()))
    .collect();
    let issuer = if r.issuer.trim().is_empty() {
        labels.get("issuer_default")
    } else {
        r.issuer.trim().to_string()
    };
    Notice {
        start,
        end,
        length,
        calendar_note,
        contacts,
        ask: fill(&labels.get("objection_ask"), &[("issuer", &issuer)]),
        bands: bands(cfg, labels),
    }
}

/// The 公示期 from the as-of date: working days (starting on the first
/// working day on or after it), or calendar days when so configured or
/// when the calendar has no entry for the year.
fn period(cfg: &Config, as_of: Date, labels: &Labels) -> (String, String, String, String) {
    let days = cfg.report.notice_days.max(1);
    let calendar = |note: String| {
        let end = as_of.add_days(i64::from(days) - 1);
        let length = fill(&labels.get("notice_days"), &[("n", &days.to_string())]);
        (as_of.to_string(), end.to_string(), length, note)
    };
    if !cfg.report.notice_workdays {
        return calendar(String::new());
    }
    let worked = cfg.calendar.load().and_then(|cal| {
        let start = cal.due(as_of)?;
        Ok((start, cal.add_workdays(start, days - 1)?))
    });
    match worked {
        Ok((start, end)) => {
            let length = fill(&labels.get("notice_workdays"), &[("n", &days.to_string())]);
            (start.to_string(), end.to_string(), length, String::new())
        }
        Err(e) => {
            tracing::warn!("公示期 counted in calendar days: {e:#}");
            calendar(labels.get("notice_calendar_fallback"))
        }
    }
}

/// "优秀：满意率 90% 及以上", "良好：80% 至不满 90%", …, "较差：低于 70%".
pub fn bands(cfg: &Config, labels: &Labels) -> Vec<String> {
    let mut grades: Vec<_> = cfg.grades.iter().collect();
    grades.sort_by(|a, b| b.min.total_cmp(&a.min));
    let mut upper: Option<f64> = None;
    let mut out = Vec::new();
    for g in grades {
        let min = pct(Some(g.min), 0);
        let text = match upper {
            None => fill(&labels.get("band_top"), &[("min", &min)]),
            Some(u) if g.min <= 0.0 => {
                fill(&labels.get("band_bottom"), &[("max", &pct(Some(u), 0))])
            }
            Some(u) => fill(
                &labels.get("band_mid"),
                &[("min", &min), ("max", &pct(Some(u), 0))],
            ),
        };
        out.push(format!("{}{}{}", g.name, labels.get("colon"), text));
        upper = Some(g.min);
    }
    out
}
