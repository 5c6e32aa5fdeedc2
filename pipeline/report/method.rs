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
            .join(", "),
        rules: cfg
            .breach
            .rules
            .iter()
            .map(|r| format!("< {} × {}", pct(Some(r.below), 0), r.times))
            .collect::<Vec<_>>()
            .join(" / "),
        basis: match cfg.breach.basis {
            Basis::Raw => labels.get("basis_raw"),
            Basis::PostStratified => labels.get("basis_post_stratified"),
        },
        min_raters: cfg.rules.min_raters,
        plan_half_width_pp: format!("{:.0}", cfg.rules.plan_half_width * 100.0),
        min_cell: cfg.report.min_cell,
        bands: cfg
            .grades
            .iter()
            .map(|g| format!("{} ≥ {}", g.name, pct(Some(g.min), 0)))
            .collect::<Vec<_>>()
            .join(", "),
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
