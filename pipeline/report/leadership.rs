//! The leadership report (领导阅览版): headline figures, rankings, trends, the
//! 诫勉谈话 list with evidence, the watchlist, composition against quotas, the
//! ledger and the methodology. This file builds its view model; the layout is
//! `report-templates/leadership.html`.

use serde::Serialize;

use super::attention::{self, Attention};
use super::charts;
use super::format::fill;
use super::ledger::{self, LedgerView};
use super::load::{Breach, Data, Evidence, PeriodFigures, Trend};
use super::method::{self, Method};
use super::model::{
    ranking, window, BreachRow, CompositionRow, Index, Meta, QuotaShare, RankRow, WatchRow, Who,
};
use super::summary::{self, Finding, Headline};
use super::templates::Labels;
use crate::config::Config;
use crate::contract::Level;

#[derive(Debug, Serialize)]
pub struct Leadership {
    pub meta: Meta,
    pub headline: Headline,
    pub townships: Vec<RankRow>,
    /// The county bodies' group (县直单位), shown below the township ranking
    /// and not ranked among the townships (`model::township_ranking`).
    pub county_bodies: Option<RankRow>,
    pub org_types: Vec<RankRow>,
    pub pioneers: Vec<RankRow>,
    pub declining_groups: Vec<TrendRow>,
    pub declining_subjects: Vec<TrendRow>,
    pub declining_subject_count: usize,
    /// The executive summary, first on the page.
    pub summary: Vec<Finding>,
    /// Breaches on sufficient evidence (certain: 证据充分), latest window
    /// first: the 诫勉谈话 list.
    pub breaches: Vec<BreachRow>,
    /// Breaches whose rate is below but whose interval reaches the
    /// threshold (可能低于): shown with their intervals, not named for a talk.
    pub likely: Vec<BreachRow>,
    /// Firm watch entries, and the subjects needing more ratings by township.
    pub attention: Attention,
    /// The action plan (行动计划): talks, follow-up draws, overdue rectification.
    pub actions: super::actions::ActionPlan,
    /// The unit cards' folder, relative to this report.
    pub cards: String,
    pub composition: Vec<CompositionRow>,
    pub worst_composition: Vec<WorstRow>,
    pub ledger: LedgerView,
    pub method: Method,
    pub charts: Charts,
    /// Each collection method's rate beside the random draw's (benchmark.rs).
    pub methods: Vec<super::benchmark::MethodRow>,
    /// The method effect by subject kind and township (`method_rates`).
    pub method_kinds: Vec<super::benchmark::KindMethods>,
    /// The integrity audit's flags (需核实), internal only: each check's
    /// count and the flags of each with the most ratings (all of them in
    /// `csv/integrity.csv`).
    pub integrity: super::integrity::Page,
    /// Votes of flagged device bursts left out of the rates, when the
    /// configuration says so (`integrity.exclude_bursts`).
    pub excluded_burst_votes: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct TrendRow {
    pub level: String,
    pub group: String,
    pub name: String,
    pub n_periods: u64,
    pub rate_last: Option<f64>,
    pub delta_last: Option<f64>,
    pub sen_slope: Option<f64>,
    pub mk_p: Option<f64>,
    pub mk_q: Option<f64>,
    /// `delta_last` split by collection method, where `changes` has the level.
    pub split: Option<super::change::Split>,
}

#[derive(Debug, Serialize)]
pub struct WorstRow {
    pub who: Who,
    pub period: String,
    pub max_deviation: f64,
}

#[derive(Debug, Serialize)]
pub struct Charts {
    pub townships: String,
    pub trend: String,
    pub distribution: String,
}

/// How many declining subjects the report lists by name.
const DECLINING_LISTED: usize = 20;
/// How many subject-periods the composition section lists by name.
const WORST_LISTED: usize = 15;

/// `lang` names the sibling folders the report links to (`units-zh`).
pub fn build(cfg: &Config, data: &Data, labels: &Labels, lang: &str) -> Leadership {
    let idx = Index::new(data);
    let w = window(data);
    let (townships, county_bodies) =
        super::model::township_ranking(data, &w, &cfg.groups.county_bodies);
    let order: Vec<&str> = townships.iter().map(|r| r.group.as_str()).collect();
    let method_kinds = super::benchmark::by_kind(data, &w, &order, &cfg.groups.county_bodies);
    let all_breaches = breach_rows(data, &idx, labels);
    let ledger = ledger::view(data, &idx, labels);
    let (declining_subjects, declining_subject_count) = declining_subjects(data, &idx);
    let composition = composition_rows(cfg, data, &w, labels);
    let cards = format!("../units-{lang}/cards");
    let open: Vec<&BreachRow> = all_breaches.iter().filter(|b| b.window == w).collect();
    let plan = attention::Plan::new(cfg, data);
    let attention = attention::build(&open, &watch_rows(data, &idx), &idx, &plan, &cards);
    let headline = summary::headline(&summary::Figures {
        data,
        window: &w,
        breaches: &all_breaches,
        attention: &attention,
        composition: &composition,
        overdue: ledger.county.as_ref().map_or(0, |c| c.overdue),
        closure_rate: ledger.county.as_ref().and_then(|c| c.closure_rate),
        plan: &plan,
    });
    let (breaches, rest): (Vec<BreachRow>, Vec<BreachRow>) = all_breaches
        .into_iter()
        .partition(|b| b.evidence.is_sufficient());
    let likely: Vec<BreachRow> = rest
        .into_iter()
        .filter(|b| b.evidence == Evidence::Likely)
        .collect();
    let firm_now: Vec<&BreachRow> = breaches.iter().filter(|b| b.window == w).collect();
    let county_trend = data.trends.iter().find(|t| t.level == Level::County);
    let facts = summary::Facts {
        headline: &headline,
        window: &w,
        as_of: &data.as_of,
        firm: &firm_now,
        attention: &attention,
        townships: &townships,
        county_trend,
    };
    let summary = summary::findings(&facts, labels, &cards);
    let actions = super::actions::build(&super::actions::Sources {
        cfg,
        data,
        idx: &idx,
        labels,
        window: &w,
        attention: &attention,
        likely: &likely,
        plan: &plan,
        ledger: &ledger,
        cards: &cards,
    });
    Leadership {
        meta: Meta::new(cfg, data, labels, "leadership_title"),
        headline,
        summary,
        charts: Charts {
            townships: township_chart(&townships, county_bodies.as_ref(), cfg, labels),
            trend: trend_chart(data, &townships, cfg, labels),
            distribution: distribution_chart(data, &w, cfg, labels),
        },
        townships,
        county_bodies,
        org_types: ranking(data, Level::OrgType, &w),
        pioneers: ranking(data, Level::PioneerCategory, &w),
        declining_groups: with_splits(declining_groups(data), data),
        declining_subjects: with_splits(declining_subjects, data),
        declining_subject_count,
        breaches,
        likely,
        attention,
        actions,
        cards,
        composition,
        worst_composition: worst_composition(data, &idx, &w),
        ledger,
        method: method::build(cfg, data, labels),
        methods: super::benchmark::rows(data, &w),
        method_kinds,
        integrity: super::integrity::page(data, &idx, labels),
        excluded_burst_votes: super::integrity::excluded_votes(cfg, data),
    }
}

/// Latest window first; within it the strongest evidence first.
pub fn breach_rows(data: &Data, idx: &Index, labels: &Labels) -> Vec<BreachRow> {
    let flagged = super::integrity::flagged_subjects(data);
    let mut rows: Vec<BreachRow> = data
        .breaches
        .iter()
        .map(|b| breach_row(b, idx, labels))
        .map(|mut b| {
            b.flagged = flagged.contains(b.who.subject_id.as_str());
            b
        })
        .collect();
    rows.sort_by(|a, b| {
        b.window
            .cmp(&a.window)
            .then_with(|| b.evidence.cmp(&a.evidence))
            .then_with(|| a.who.subject_id.cmp(&b.who.subject_id))
    });
    rows
}

fn breach_row(b: &Breach, idx: &Index, labels: &Labels) -> BreachRow {
    let periods: Vec<PeriodFigures> = (0..b.periods.len())
        .map(|i| PeriodFigures {
            period: b.periods[i].clone(),
            rate: b.rates.get(i).copied().unwrap_or(f64::NAN),
            valid: b.valid.get(i).copied().unwrap_or(0),
            raters: b.raters.get(i).copied().unwrap_or(0),
            ci_low: b.ci_low.get(i).copied().flatten(),
            ci_high: b.ci_high.get(i).copied().flatten(),
            evidence: b.period_evidence.get(i).copied().unwrap_or(Evidence::Thin),
        })
        .collect();
    BreachRow {
        window: b.window.clone(),
        who: idx.who(&b.subject_id),
        // compute writes rules as "below 60% × 1"; say it in the report's language.
        rule: super::method::rule_label(&b.rule, labels),
        action: b.action.clone(),
        periods,
        evidence: b.evidence,
        flagged: false,
    }
}

fn watch_rows(data: &Data, idx: &Index) -> Vec<WatchRow> {
    data.watchlist
        .iter()
        .map(|w| WatchRow {
            who: idx.who(&w.subject_id),
            window: w.window.clone(),
            rule_window: w.rule_window.clone(),
            status: w.status.clone(),
            at: w.at.clone(),
        })
        .collect()
}

fn trend_row(t: &Trend, name: String) -> TrendRow {
    TrendRow {
        level: t.level.clone(),
        group: t.group.clone().unwrap_or_default(),
        name,
        n_periods: t.n_periods,
        rate_last: t.rate_last,
        delta_last: t.delta_last,
        sen_slope: t.sen_slope,
        mk_p: t.mk_p,
        mk_q: t.mk_q,
        split: None,
    }
}

/// The rows' last changes split by collection method.
fn with_splits(mut rows: Vec<TrendRow>, data: &Data) -> Vec<TrendRow> {
    let changes = super::change::Changes::new(data);
    let last: std::collections::BTreeMap<(&str, &str), &str> = data
        .trends
        .iter()
        .map(|t| {
            (
                (t.level.as_str(), t.group.as_deref().unwrap_or("")),
                t.last_period.as_str(),
            )
        })
        .collect();
    for r in &mut rows {
        let to = last
            .get(&(r.level.as_str(), r.group.as_str()))
            .copied()
            .unwrap_or("");
        r.split = changes.period(&r.level, &r.group, to);
    }
    rows
}

fn declining_groups(data: &Data) -> Vec<TrendRow> {
    data.trends
        .iter()
        .filter(|t| t.declining && t.level != "subject")
        .map(|t| trend_row(t, t.group.clone().unwrap_or_default()))
        .collect()
}

/// The steepest declining subjects (by Sen's slope), and how many decline.
fn declining_subjects(data: &Data, idx: &Index) -> (Vec<TrendRow>, usize) {
    let mut rows: Vec<&Trend> = data
        .trends
        .iter()
        .filter(|t| t.declining && t.level == Level::Subject)
        .collect();
    rows.sort_by(|a, b| {
        a.sen_slope
            .unwrap_or(0.0)
            .total_cmp(&b.sen_slope.unwrap_or(0.0))
            .then_with(|| a.group.cmp(&b.group))
    });
    let count = rows.len();
    let listed = rows
        .into_iter()
        .take(DECLINING_LISTED)
        .map(|t| {
            let id = t.group.clone().unwrap_or_default();
            trend_row(t, idx.who(&id).name)
        })
        .collect();
    (listed, count)
}

/// Per org type in the window: realized share of each quota group, and how
/// many subject-periods were within tolerance.
fn composition_rows(cfg: &Config, data: &Data, w: &str, labels: &Labels) -> Vec<CompositionRow> {
    cfg.org_types
        .iter()
        .filter_map(|ot| {
            let rows: Vec<_> = data
                .composition
                .iter()
                .filter(|c| c.org_type == ot.name && c.period.starts_with(w))
                .collect();
            let total: u64 = rows.iter().map(|c| c.n).sum();
            if total == 0 {
                return None;
            }
            let mut cells = std::collections::BTreeSet::new();
            let mut compliant = std::collections::BTreeSet::new();
            for c in &rows {
                cells.insert((&c.subject_id, &c.period));
                if c.compliant {
                    compliant.insert((&c.subject_id, &c.period));
                }
            }
            let groups: Vec<QuotaShare> = ot
                .quota
                .iter()
                .map(|q| {
                    let n: u64 = rows
                        .iter()
                        .filter(|c| c.quota_group == q.group)
                        .map(|c| c.n)
                        .sum();
                    QuotaShare {
                        group: q.group.clone(),
                        quota: q.share,
                        realized: Some(n as f64 / total as f64),
                    }
                })
                .collect();
            Some(CompositionRow {
                org_type: ot.name.clone(),
                subject_periods: cells.len(),
                compliant: compliant.len(),
                compliant_share: Some(compliant.len() as f64 / cells.len() as f64),
                chart: composition_chart(&ot.name, &groups, labels),
                groups,
            })
        })
        .collect()
}

/// Subject-periods with ratings whose composition strays furthest from quota.
fn worst_composition(data: &Data, idx: &Index, w: &str) -> Vec<WorstRow> {
    let mut seen = std::collections::BTreeMap::new();
    for c in data
        .composition
        .iter()
        .filter(|c| c.period.starts_with(w) && !c.compliant)
    {
        seen.entry((&c.subject_id, &c.period))
            .or_insert(c.max_deviation);
    }
    let mut rows: Vec<_> = seen.into_iter().collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows.into_iter()
        .take(WORST_LISTED)
        .map(|((id, period), dev)| WorstRow {
            who: idx.who(id),
            period: period.clone(),
            max_deviation: dev,
        })
        .collect()
}

fn thresholds(cfg: &Config) -> Vec<f64> {
    cfg.breach.rules.iter().map(|r| r.below).collect()
}

fn text(labels: &Labels, title: &str, x: &str, y: &str) -> charts::Text {
    charts::Text {
        title: labels.get(title),
        x: if x.is_empty() {
            String::new()
        } else {
            labels.get(x)
        },
        y: if y.is_empty() {
            String::new()
        } else {
            labels.get(y)
        },
    }
}

/// The ranking as bars of the rate it orders by (method-standardized),
/// the county bodies' bar last and marked unranked.
fn township_chart(
    rows: &[RankRow],
    county_bodies: Option<&RankRow>,
    cfg: &Config,
    labels: &Labels,
) -> String {
    let apart = county_bodies.map(|r| RankRow {
        group: fill(&labels.get("county_bodies_apart"), &[("name", &r.group)]),
        ..r.clone()
    });
    let bars: Vec<charts::Bar> = rows
        .iter()
        .chain(apart.as_ref())
        .filter_map(|r| {
            r.rate_std.map(|v| charts::Bar {
                label: r.group.clone(),
                value: v,
            })
        })
        .collect();
    charts::ranking(
        &bars,
        &thresholds(cfg),
        &text(labels, "ranking_township", "rate_std", ""),
    )
}

/// Each township period by period in a small panel, the county faintly in
/// each; panels in the order of the township ranking, then any township
/// without a rate in the window, by name.
fn trend_chart(data: &Data, townships: &[RankRow], cfg: &Config, labels: &Labels) -> String {
    let mut by_group: std::collections::BTreeMap<(&str, String), Vec<charts::Point>> =
        Default::default();
    for g in data
        .group_period
        .iter()
        .filter(|g| (g.level == Level::County || g.level == Level::Township) && g.span == "period")
    {
        by_group
            .entry((g.level.as_str(), g.group.clone().unwrap_or_default()))
            .or_default()
            .push(charts::Point {
                period: g.period.clone(),
                est: g.into(),
            });
    }
    let mut county = None;
    let mut series: Vec<charts::Series> = Vec::new();
    for ((level, name), mut points) in by_group {
        points.sort_by(|a, b| a.period.cmp(&b.period));
        if level == Level::County.as_str() {
            let name = labels.get("county");
            county = Some(charts::Series { name, points });
        } else {
            series.push(charts::Series { name, points });
        }
    }
    let rank = |name: &str| townships.iter().position(|r| r.group == name);
    series.sort_by_key(|s| (rank(&s.name).unwrap_or(usize::MAX), s.name.clone()));
    charts::trend_grid(
        &series,
        county.as_ref(),
        &thresholds(cfg),
        &text(labels, "trend_chart", "period", "rate"),
    )
}

fn distribution_chart(data: &Data, w: &str, cfg: &Config, labels: &Labels) -> String {
    let rates: Vec<f64> = data
        .grades
        .iter()
        .filter(|g| g.window == w)
        .filter_map(|g| g.rate)
        .collect();
    charts::distribution(
        &rates,
        &thresholds(cfg),
        &text(labels, "distribution", "rate", "subjects_count"),
    )
}

fn composition_chart(org_type: &str, groups: &[QuotaShare], labels: &Labels) -> String {
    let rows: Vec<charts::QuotaBar> = groups
        .iter()
        .map(|g| charts::QuotaBar {
            group: g.group.clone(),
            share: g.realized.unwrap_or(0.0),
            quota: g.quota,
        })
        .collect();
    // A panel of the small multiples: the section names the measure, the
    // panel its org type; the axis is the same share in every panel.
    let t = charts::Text {
        title: org_type.to_string(),
        x: String::new(),
        y: labels.get("realized_share"),
    };
    charts::composition_sized(
        &rows,
        (&labels.get("realized"), &labels.get("quota")),
        &t,
        charts::COMPOSITION_PANEL,
    )
}
