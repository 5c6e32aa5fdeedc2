//! Unit cards (反馈卡): one page per rated subject, for feedback to that unit
//! or cadre — its year result and grade, rates by period, item and rater
//! category, its trend, breach or watchlist status and its ledger items.
//! Cards are built and rendered in parallel with rayon (thousands a run).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::Serialize;

use super::change::{self, Changes, Course, End, Split};
use super::charts;
use super::estimate::Estimate;
use super::format::file_name;
use super::leadership;
use super::ledger::{self, Item};
use super::load::{Data, Detail, Evidence, Trend, Watch};
use super::model::BreachRow;
use super::model::{window, Index, Meta, Who};
use super::suppress::{complement, Cell};
use super::templates::{Labels, Templates};
use crate::config::Config;
use crate::contract::Level;

#[derive(Debug, Serialize)]
pub struct Card<'a> {
    pub meta: &'a Meta,
    pub who: Who,
    pub village: String,
    pub parent: String,
    pub pioneer: String,
    pub year: Option<YearResult>,
    pub periods: Vec<PeriodRow>,
    pub by_item: Vec<DetailRow>,
    pub by_category: Vec<DetailRow>,
    pub trend: Option<TrendView>,
    pub breach: Option<&'a BreachRow>,
    /// The open window's watch entry, if any.
    pub watch: Option<&'a Watch>,
    /// As in the index.
    pub status: UnitStatus,
    /// The year rests on fewer people than `rules.min_raters`: no grade.
    pub thin: bool,
    /// A rate but no grade (too few people).
    pub ungraded: bool,
    pub min_cell: u32,
    pub min_raters: u32,
    pub items: Vec<Item>,
    pub chart: String,
    /// Integrity flags on this subject's ratings (需核实; internal cards only).
    pub integrity: Vec<super::integrity::FlagRow>,
    /// Device bursts on this subject are left out of its figures
    /// (`integrity.exclude_bursts`).
    pub integrity_excluded: bool,
}

#[derive(Debug, Serialize)]
pub struct YearResult {
    #[serde(flatten)]
    pub est: Estimate,
    pub grade: Option<String>,
    pub valid: u64,
    /// As shown: the number, or "<N" below the minimum cell (rate hidden).
    pub raters: String,
    pub suppressed: bool,
}

#[derive(Debug, Serialize)]
pub struct PeriodRow {
    pub period: String,
    pub valid: u64,
    /// As shown: the number, or "<N" below the minimum cell.
    pub raters: String,
    pub suppressed: bool,
    #[serde(flatten)]
    pub est: Estimate,
    pub rate_ps: Option<f64>,
    pub coverage: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct DetailRow {
    pub group: String,
    /// As shown: the number, or "<N" below the minimum cell.
    pub raters: String,
    pub suppressed: bool,
    pub valid: u64,
    #[serde(flatten)]
    pub est: Estimate,
}

/// The trend in the words a unit reads: the course from the first to the
/// last period with both intervals, whether that is within chance
/// (`chance`: `random` when the intervals overlap and the test finds no
/// trend, `beyond` when they do not overlap), the last change split by
/// collection method, and the test's direction (`down`, `up` — q < 0.05 —,
/// `flat`, or `short` with fewer than four periods) with the change per
/// period; the test statistics stay in the leadership report and the
/// `trends` table.
#[derive(Debug, Serialize)]
pub struct TrendView {
    pub n_periods: u64,
    pub delta_last: Option<f64>,
    pub last_split: Option<Split>,
    /// The last change as the card states it: "−2.6 个百分点（同口径 +0.1，评议方式构成 −2.7）".
    pub last_change: Option<String>,
    pub course: Option<Course>,
    pub chance: Option<&'static str>,
    pub direction: &'static str,
    pub per_period: Option<f64>,
}

/// An entry of the cards' index page.
#[derive(Debug, Serialize)]
pub struct IndexEntry {
    pub who: Who,
    pub file: String,
    pub rate: Option<f64>,
    pub grade: Option<String>,
    pub status: UnitStatus,
}

/// A subject's standing in the open window (`status`), written on the card
/// and the index as `as_str` gives it (the templates and the index's
/// filter compare those words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    Breach,
    NeedsRatings,
    Watch,
    Ok,
}

impl UnitStatus {
    pub const ALL: [UnitStatus; 4] = [
        UnitStatus::Breach,
        UnitStatus::NeedsRatings,
        UnitStatus::Watch,
        UnitStatus::Ok,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitStatus::Breach => "breach",
            UnitStatus::NeedsRatings => "needs_ratings",
            UnitStatus::Watch => "watch",
            UnitStatus::Ok => "ok",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CardsIndex<'a> {
    pub meta: &'a Meta,
    pub townships: Vec<(String, Vec<IndexEntry>)>,
    /// Subjects per status, for the filter.
    pub counts: BTreeMap<&'static str, usize>,
}

/// Shared lookups for every card.
struct Shared<'a> {
    cfg: &'a Config,
    idx: Index<'a>,
    labels: &'a Labels,
    meta: Meta,
    window: String,
    breaches: BTreeMap<String, BreachRow>,
    trends: BTreeMap<&'a str, &'a Trend>,
    changes: Changes<'a>,
    watched: BTreeMap<&'a str, &'a Watch>,
    /// The integrity flags by subject, found once: at ten million ratings
    /// the table has ~190,000 flags, and looking through all of them for
    /// each of 4,116 cards took most of the report's time.
    flags: super::integrity::BySubject<'a>,
    redactor: super::redact::Redactor,
}

/// Renders every card into `dir/cards/` and the index into `dir/index.html`;
/// returns the number of cards.
pub fn render(cfg: &Config, data: &Data, t: &Templates, dir: &Path) -> Result<usize> {
    let ctx = context(cfg, data, &t.labels);
    let cards = dir.join("cards");
    std::fs::create_dir_all(&cards)
        .with_context(|| format!("cannot create {}", cards.display()))?;
    let ids: Vec<&str> = ctx.idx.periods.keys().copied().collect();
    // Cards are rendered on every core and written by one thread: creating
    // a file takes its directory's lock, and threads creating thousands of
    // files in one directory side by side spent their time spinning on it.
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(std::path::PathBuf, String)>(64);
        let writer = scope.spawn(move || -> Result<()> {
            for (path, html) in rx {
                std::fs::write(&path, html)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            Ok(())
        });
        let rendered = ids
            .par_iter()
            .try_for_each_with(tx, |tx, id| -> Result<()> {
                let html = t.render("unit.html", &card(&ctx, id))?;
                tx.send((cards.join(file_name(id)), html))
                    .map_err(|_| anyhow::anyhow!("the card writer stopped"))
            });
        // The writer's error (a full disk) says more than the senders' "stopped".
        writer.join().expect("the card writer does not panic")?;
        rendered
    })?;
    let index = t.render("units-index.html", &index(&ctx, &ids))?;
    let path = dir.join("index.html");
    std::fs::write(&path, index).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(ids.len())
}

/// The index page's counts by status and the cards of `ids`, as JSON: what
/// the templates receive, so a change in a figure reads as a diff of data
/// (the snapshot tests). The whole index lists every subject, too long to read.
pub fn view_models(cfg: &Config, data: &Data, labels: &Labels, ids: &[&str]) -> serde_json::Value {
    let ctx = context(cfg, data, labels);
    let all: Vec<&str> = ctx.idx.periods.keys().copied().collect();
    let cards: Vec<Card> = ids.iter().map(|id| card(&ctx, id)).collect();
    serde_json::json!({ "counts": index(&ctx, &all).counts, "cards": cards })
}

fn context<'a>(cfg: &'a Config, data: &'a Data, labels: &'a Labels) -> Shared<'a> {
    let idx = Index::new(data);
    let w = window(data);
    let breaches = leadership::breach_rows(data, &idx, labels)
        .into_iter()
        .filter(|b| b.window == w)
        .map(|b| (b.who.subject_id.clone(), b))
        .collect();
    let watched = data
        .watchlist
        .iter()
        .filter(|x| x.window == w)
        .map(|x| (x.subject_id.as_str(), x))
        .collect();
    let trends = data
        .trends
        .iter()
        .filter(|t| t.level == Level::Subject)
        .filter_map(|t| t.group.as_deref().map(|g| (g, t)))
        .collect();
    Shared {
        cfg,
        meta: Meta::new(cfg, data, labels, "card_title"),
        idx,
        labels,
        window: w,
        breaches,
        trends,
        changes: Changes::new(data),
        watched,
        flags: super::integrity::BySubject::new(data),
        redactor: super::redact::Redactor::new(labels),
    }
}

/// A subject's standing in the open window: a breach on sufficient
/// evidence (the only one that names a talk), a breach or watch entry that
/// more people must settle (possibly below, or too few people), a watch
/// entry on enough people, or none.
fn status(ctx: &Shared, id: &str) -> UnitStatus {
    let breach = ctx.breaches.get(id).map(|b| b.evidence);
    // A watch whose window ended without triggering asks nothing more.
    let watch = ctx
        .watched
        .get(id)
        .filter(|w| w.status != "closed")
        .map(|w| w.at.evidence);
    match (breach, watch) {
        (Some(e), _) if e.is_sufficient() => UnitStatus::Breach,
        (Some(_), _) | (None, Some(Evidence::Thin)) => UnitStatus::NeedsRatings,
        (None, Some(_)) => UnitStatus::Watch,
        (None, None) => UnitStatus::Ok,
    }
}

fn trend_view(ctx: &Shared, id: &str, t: &Trend, periods: &[PeriodRow]) -> TrendView {
    // Significant only when it survives the correction for the thousands
    // of subjects tested (q, not p).
    let direction = match (t.mk_q, t.sen_slope) {
        (Some(q), Some(s)) if q < 0.05 && s < 0.0 => "down",
        (Some(q), Some(s)) if q < 0.05 && s > 0.0 => "up",
        (Some(_), _) => "flat",
        (None, _) => "short",
    };
    let ends: Vec<End> = periods
        .iter()
        .filter_map(|p| End::at(&p.period, p.est))
        .collect();
    let course = change::course(&ends, ctx.labels);
    // "Within chance" only where the intervals overlap and the test finds
    // no trend (a significant trend is not called chance); nothing to say
    // of a course with no change at all.
    let trended = direction == "down" || direction == "up";
    let chance = course
        .as_ref()
        .filter(|c| (c.change * 1000.0).round() != 0.0)
        .and_then(|c| match (c.overlap, trended) {
            (false, _) => Some("beyond"),
            (true, false) => Some("random"),
            (true, true) => None,
        });
    let last_split = ctx
        .changes
        .period(Level::Subject.as_str(), id, &t.last_period);
    TrendView {
        n_periods: t.n_periods,
        delta_last: t.delta_last,
        last_split,
        last_change: t
            .delta_last
            .map(|d| change::phrase(last_split, Some(d), ctx.labels)),
        course,
        chance,
        direction,
        per_period: t
            .sen_slope
            .filter(|_| direction == "down" || direction == "up"),
    }
}

fn card<'a>(ctx: &'a Shared<'a>, id: &str) -> Card<'a> {
    let s = ctx.idx.subjects.get(id);
    let text =
        |f: fn(&super::load::Subject) -> Option<String>| s.and_then(|s| f(s)).unwrap_or_default();
    let periods = period_rows(ctx, id);
    // A trend in words rests on the periods' rates: none where one of them
    // is hidden (the change would tell it).
    let hidden = periods.iter().any(|p| p.suppressed);
    let trend = ctx
        .trends
        .get(id)
        .filter(|_| !hidden)
        .map(|t| trend_view(ctx, id, t, &periods));
    let year = year_result(ctx, id);
    let people = ctx
        .idx
        .grades
        .get(&(id, ctx.window.as_str()))
        .map_or(0, |g| g.raters.unwrap_or(0));
    let ungraded = year
        .as_ref()
        .is_some_and(|y| y.grade.is_none() && y.est.rate.is_some());
    let thin = year.is_some() && people < u64::from(ctx.cfg.rules.min_raters);
    Card {
        meta: &ctx.meta,
        who: ctx.idx.who(id),
        village: text(|s| s.village.clone()),
        parent: text(|s| s.parent.clone()),
        pioneer: text(|s| s.pioneer_category.clone()),
        chart: chart(ctx, &periods),
        year,
        periods,
        by_item: detail(ctx, id, "item"),
        by_category: detail(ctx, id, "rater_category"),
        trend,
        breach: ctx.breaches.get(id),
        watch: ctx.watched.get(id).copied(),
        status: status(ctx, id),
        ungraded,
        thin,
        min_cell: ctx.cfg.report.min_cell,
        min_raters: ctx.cfg.rules.min_raters,
        items: ledger::items_of(&ctx.idx, id, &ctx.redactor),
        integrity: ctx.flags.rows(&ctx.idx, ctx.labels, id),
        integrity_excluded: ctx.flags.excluded(ctx.cfg, id),
    }
}

/// The year's result with its interval counted in people. On fewer people
/// than `report.min_cell` the unit would read how those few voted: the
/// rate is hidden and the people shown as "<N".
fn year_result(ctx: &Shared, id: &str) -> Option<YearResult> {
    let g = ctx.idx.grades.get(&(id, ctx.window.as_str()))?;
    let min = u64::from(ctx.cfg.report.min_cell);
    let raters = g.raters.unwrap_or(0);
    let hide = raters < min;
    Some(YearResult {
        est: Estimate::from(*g).shown(!hide),
        grade: g.grade.clone(),
        valid: if hide { 0 } else { g.valid },
        raters: people_shown(raters, min),
        suppressed: hide,
    })
}

/// People as a card shows them: the number, or "<N" below the minimum cell.
fn people_shown(raters: u64, min: u64) -> String {
    if raters < min {
        format!("<{min}")
    } else {
        raters.to_string()
    }
}

/// The subject's periods. A period on fewer people than `report.min_cell`
/// shows "<N" and no rate; within a year, whose total the card publishes,
/// a second period is hidden where one hidden period could be derived from
/// the total and the others (`suppress::complement`).
fn period_rows(ctx: &Shared, id: &str) -> Vec<PeriodRow> {
    let min = u64::from(ctx.cfg.report.min_cell);
    let rows: Vec<_> = ctx.idx.periods.get(id).into_iter().flatten().collect();
    let mut cells: Vec<Cell> = rows
        .iter()
        .map(|p| Cell::new(p.raters.unwrap_or(0), min))
        .collect();
    let mut years: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in rows.iter().enumerate() {
        years
            .entry(p.period.get(..4).unwrap_or(""))
            .or_default()
            .push(i);
    }
    for members in years.values() {
        complement(&mut cells, members, true, min);
    }
    rows.into_iter()
        .zip(cells)
        .map(|(p, c)| {
            let hide = |v: Option<f64>| if c.suppressed { None } else { v };
            PeriodRow {
                period: p.period.clone(),
                valid: if c.suppressed { 0 } else { p.valid },
                raters: people_shown(p.raters.unwrap_or(0), min),
                suppressed: c.suppressed,
                est: Estimate::from(*p).shown(!c.suppressed),
                rate_ps: hide(p.rate_ps),
                // Which quota groups rated tells who the few were.
                coverage: hide(p.coverage),
            }
        })
        .collect()
}

/// Rates by item or by rater category in the window. A card goes back to
/// the unit rated, which knows who its raters were: an item or a rater
/// category resting on fewer people than `report.min_cell` would show how
/// those few voted, so it is suppressed like a public cell (with its
/// complement, as the card's year total is published). An item's people
/// are its ratings (a form rates an item of a subject once).
fn detail(ctx: &Shared, id: &str, dimension: &str) -> Vec<DetailRow> {
    let rows: Vec<&&Detail> = ctx
        .idx
        .detail
        .get(id)
        .into_iter()
        .flatten()
        .filter(|d| d.dimension == dimension && d.window == ctx.window)
        .collect();
    let min = u64::from(ctx.cfg.report.min_cell);
    let mut cells: Vec<Cell> = rows
        .iter()
        .map(|d| Cell::new(d.raters.unwrap_or(0), min))
        .collect();
    let members: Vec<usize> = (0..cells.len()).collect();
    complement(&mut cells, &members, true, min);
    rows.into_iter()
        .zip(cells)
        .map(|(d, c)| DetailRow {
            group: d.group.clone().unwrap_or_default(),
            raters: people_shown(d.raters.unwrap_or(0), min),
            suppressed: c.suppressed,
            valid: if c.suppressed { 0 } else { d.valid },
            est: Estimate::from(*d).shown(!c.suppressed),
        })
        .collect()
}

fn chart(ctx: &Shared, periods: &[PeriodRow]) -> String {
    let series = [charts::Series {
        name: ctx.labels.get("rate"),
        points: periods
            .iter()
            .map(|p| charts::Point {
                period: p.period.clone(),
                est: p.est,
            })
            .collect(),
    }];
    let thresholds: Vec<f64> = ctx.cfg.breach.rules.iter().map(|r| r.below).collect();
    let text = charts::Text {
        title: ctx.labels.get("card_trend"),
        x: ctx.labels.get("period"),
        y: ctx.labels.get("rate"),
    };
    charts::trend(&series, &thresholds, &text)
}

fn index<'a>(ctx: &'a Shared<'a>, ids: &[&str]) -> CardsIndex<'a> {
    let mut townships: BTreeMap<String, Vec<IndexEntry>> = BTreeMap::new();
    for id in ids {
        let who = ctx.idx.who(id);
        let g = ctx.idx.grades.get(&(*id, ctx.window.as_str()));
        townships
            .entry(who.township.clone())
            .or_default()
            .push(IndexEntry {
                file: format!("cards/{}", file_name(id)),
                // As on the card: no rate on fewer people than the minimum cell.
                rate: g
                    .filter(|g| g.raters.unwrap_or(0) >= u64::from(ctx.cfg.report.min_cell))
                    .and_then(|g| g.rate),
                grade: g.and_then(|g| g.grade.clone()),
                status: status(ctx, id),
                who,
            });
    }
    // Keyed by the word, so the counts keep their order in the index's JSON.
    let mut counts: BTreeMap<&'static str, usize> = UnitStatus::ALL.map(|s| (s.as_str(), 0)).into();
    for e in townships.values().flatten() {
        *counts.entry(e.status.as_str()).or_default() += 1;
    }
    CardsIndex {
        meta: &ctx.meta,
        townships: townships.into_iter().collect(),
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::{file_name, UnitStatus};

    #[test]
    fn the_text_name_of_a_unit_status_is_its_json_name() {
        for s in UnitStatus::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }

    #[test]
    fn card_file_names_are_safe_and_distinct() {
        assert_eq!(file_name("ZZ0001"), "ZZ0001.html");
        assert_eq!(file_name("干部-01"), "干部-01.html");
        let (a, b) = (file_name("A/B"), file_name("A_B"));
        assert_ne!(a, b);
        assert!(a.starts_with("A_B-") && !a.contains('/'));
        assert!(!file_name("../x").contains(".."));
    }
}
