//! Why the 诫勉谈话 rule counts what it counts for each kind of subject
//! (`breach.window`), with this run's numbers: the people behind a cadre in
//! one quarter and in the pooled year of the report's window, and how many
//! reach `rules.min_raters` either way. Printed in the methodology, so the
//! choice is argued from the data it governs rather than asserted.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::load::Data;
use super::templates::Labels;
use crate::config::{Config, RuleWindow};

#[derive(Debug, Serialize)]
pub struct RuleWindowFacts {
    /// The configured windows in words (评议期（季度） / 全年合并).
    pub organization: String,
    pub cadre: String,
    pub window: String,
    /// Cadre-periods of the window with a valid rating, their median people,
    /// how many reach `rules.min_raters`, and the cadres with such a period.
    pub periods: usize,
    pub period_median: u64,
    pub periods_enough: usize,
    pub cadres_enough_in_a_period: usize,
    /// Cadres rated in the window (pooled year), their median people, and
    /// how many reach `rules.min_raters`.
    pub years: usize,
    pub year_median: u64,
    pub years_enough: usize,
}

fn words(w: RuleWindow, labels: &Labels) -> String {
    labels.get(match w {
        RuleWindow::Period => "rule_window_period",
        RuleWindow::Year => "rule_window_year",
    })
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

pub fn facts(cfg: &Config, data: &Data, window: &str, labels: &Labels) -> RuleWindowFacts {
    let cadre: HashMap<&str, bool> = data
        .subjects
        .iter()
        .map(|s| (s.subject_id.as_str(), s.kind == "干部"))
        .collect();
    let is_cadre = |id: &str| cadre.get(id).copied().unwrap_or(false);
    let min = u64::from(cfg.rules.min_raters);
    let periods: Vec<(&str, u64)> = data
        .subject_period
        .iter()
        .filter(|p| p.period.starts_with(window) && p.valid > 0 && is_cadre(&p.subject_id))
        .map(|p| (p.subject_id.as_str(), p.raters.unwrap_or(0)))
        .collect();
    let years: Vec<u64> = data
        .grades
        .iter()
        .filter(|g| g.window == window && g.valid > 0 && is_cadre(&g.subject_id))
        .map(|g| g.raters.unwrap_or(0))
        .collect();
    let enough_cadres: BTreeSet<&str> = periods
        .iter()
        .filter(|(_, k)| *k >= min)
        .map(|(id, _)| *id)
        .collect();
    RuleWindowFacts {
        organization: words(cfg.breach.window.organization, labels),
        cadre: words(cfg.breach.window.cadre, labels),
        window: window.to_string(),
        periods: periods.len(),
        period_median: median(periods.iter().map(|(_, k)| *k).collect()),
        periods_enough: periods.iter().filter(|(_, k)| *k >= min).count(),
        cadres_enough_in_a_period: enough_cadres.len(),
        years: years.len(),
        years_enough: years.iter().filter(|k| **k >= min).count(),
        year_median: median(years),
    }
}
