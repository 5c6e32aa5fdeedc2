//! The methodology footnotes: the exact definitions (DESIGN §5) with this
//! configuration's values filled in, the as-of date, and every input file
//! with its SHA-256, so a reader can check what the figures rest on.

use serde::Serialize;

use super::format::pct;
use super::load::Data;
use super::templates::Labels;
use crate::config::{Basis, Config};

#[derive(Debug, Serialize)]
pub struct Method {
    pub satisfied_levels: String,
    pub rules: String,
    pub basis: String,
    pub min_raters: u32,
    /// `rules.plan_half_width` in percentage points, as printed.
    pub plan_half_width_pp: String,
    pub min_cell: u32,
    pub bands: String,
    pub quotas: Vec<QuotaLine>,
    pub inputs: Vec<InputRow>,
    pub quarantined: u64,
    pub as_of: String,
    /// What the breach rule counts per kind of subject, and why (this run's numbers).
    pub rule_window: super::rule_window::RuleWindowFacts,
}

#[derive(Debug, Serialize)]
pub struct QuotaLine {
    pub org_type: String,
    pub quotas: String,
    pub tolerance: String,
}

#[derive(Debug, Serialize)]
pub struct InputRow {
    pub file: String,
    pub sheet: String,
    pub kind: String,
    pub rows: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub sha256: String,
}

pub fn build(cfg: &Config, data: &Data, labels: &Labels) -> Method {
    Method {
        satisfied_levels: cfg
            .scale
            .iter()
            .filter(|s| s.satisfied)
            .map(|s| s.label.clone())
            .collect::<Vec<_>>()
            .join(&labels.get("list_sep")),
        rules: cfg
            .breach
            .rules
            .iter()
            .map(|r| rule_text(&pct(Some(r.below), 0), r.times, labels))
            .collect::<Vec<_>>()
            .join(" / "),
        basis: match cfg.breach.basis {
            Basis::Raw => labels.get("basis_raw"),
            Basis::PostStratified => labels.get("basis_post_stratified"),
        },
        min_raters: cfg.rules.min_raters,
        plan_half_width_pp: format!("{:.0}", cfg.rules.plan_half_width * 100.0),
        min_cell: cfg.report.min_cell,
        // The same words as the 公示's grade list, so the two never disagree.
        bands: super::notice::bands(cfg, labels).join(&labels.get("clause_sep")),
        quotas: quota_lines(cfg),
        inputs: data
            .inputs
            .iter()
            .map(|i| InputRow {
                file: i.path.clone(),
                sheet: i.sheet.clone().unwrap_or_default(),
                kind: i.kind.clone(),
                rows: i.rows,
                accepted: i.accepted,
                quarantined: i.quarantined,
                sha256: i.sha256.clone(),
            })
            .collect(),
        quarantined: data.quarantined,
        as_of: data.as_of.clone(),
        rule_window: super::rule_window::facts(cfg, data, &super::model::window(data), labels),
    }
}

/// A breach rule in words: "低于 60% 一期" / "below 60% in 1 period", not
/// the notation "< 60% × 1" a county reader would have to decode.
pub fn rule_text(below: &str, times: u32, labels: &Labels) -> String {
    let key = format!("periods_{times}");
    let periods = match labels.get(&key) {
        k if k == key => labels.get("periods_n").replace("{n}", &times.to_string()),
        words => words,
    };
    labels
        .get("rule_words")
        .replace("{below}", below)
        .replace("{periods}", &periods)
}

/// compute's rule label ("below 60% × 1") in words; anything else as it is.
pub fn rule_label(rule: &str, labels: &Labels) -> String {
    let parsed = rule
        .strip_prefix("below ")
        .and_then(|r| r.split_once(" × "))
        .and_then(|(below, n)| Some((below, n.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((below, n)) => rule_text(below, n, labels),
        None => rule.to_string(),
    }
}

fn quota_lines(cfg: &Config) -> Vec<QuotaLine> {
    cfg.org_types
        .iter()
        .map(|ot| QuotaLine {
            org_type: ot.name.clone(),
            quotas: ot
                .quota
                .iter()
                .map(|q| format!("{} {}", q.group, pct(Some(q.share), 0)))
                .collect::<Vec<_>>()
                .join(" / "),
            tolerance: format!("± {}", pct(Some(ot.quota_tolerance), 0)),
        })
        .collect()
}
