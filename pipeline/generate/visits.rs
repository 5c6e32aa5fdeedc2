//! The household-visit export (入户走访评议, last year): forms collected
//! door to door, each row naming its collector (采集人) and carrying the
//! time of day — the evidence the integrity audit reads. In a clean county
//! it holds honest visits by one township's collectors (last quarter) and
//! the county's follow-up draw (随机回访抽查) of some of that township's
//! cadres, held with the campaign's draw (the quarter before the last, so
//! the last quarter keeps no random draw and its change on the quarter
//! before stays a change of method mix); the planted manipulation
//! (`manipulation.rs`) adds rows to it.

use std::path::Path;

use anyhow::Result;

use super::campaign::response_number;
use super::export::{cell, CsvOut, DateStyle, Encoding, Field, Layout};
use super::model::{abstain_rate, date_in, satisfaction, Rater, Rating};
use super::names::{GIVEN, SURNAMES};
use super::plan::Plan;
use crate::rng::Rng;

/// The export's columns before the last one, 采集人 (the collector).
pub const VISITS: Layout = &[
    ("问卷编号", Field::Response),
    ("被评议对象编号", Field::SubjectId),
    ("被评议对象", Field::SubjectName),
    ("测评时间", Field::Date(DateStyle::Time)),
    ("评议人类别", Field::Category),
    ("评议人编号", Field::RaterId),
    ("评议人所在村(社区)", Field::Village),
    ("评议方式", Field::Method),
    ("评议途径", Field::Channel),
    ("测评项目", Field::Item),
    ("满意度", Field::Rating),
];

/// Who collected the follow-up draw: the county's team, not the township.
pub const DRAW_TEAM: &str = "县委组织部回访组";

/// Honest collectors and their forms each; cadres in the follow-up draw
/// and its forms each (enough for the method test's 20 people).
const COLLECTORS: usize = 5;
const FORMS_EACH: usize = 40;
const DRAWN_CADRES: usize = 9;
const DRAW_FORMS: usize = 20;

/// One row of the export: a rating and who collected it.
#[derive(Debug, Clone)]
pub struct Visit {
    pub rating: Rating,
    pub collector: String,
}

/// Who takes part: the township, its village cadres in a fixed order (the
/// first `DRAWN_CADRES` drawn, the next one free for a plant), collector names.
pub struct Cast {
    pub township: usize,
    pub cadres: Vec<usize>,
    pub collectors: Vec<String>,
}

impl Cast {
    pub fn new(plan: &Plan) -> Cast {
        let mut rng = Rng::derive(plan.seed, &[40]);
        let township = rng.below(plan.county.townships.len() as u64) as usize;
        let mut cadres: Vec<usize> = (0..plan.county.subjects.len())
            .filter(|&s| {
                let x = &plan.county.subjects[s];
                x.cadre && x.township == township && x.village.is_some()
            })
            .collect();
        rng.shuffle(&mut cadres);
        let mut collectors: Vec<String> = Vec::new();
        while collectors.len() < COLLECTORS + 1 {
            let name = format!(
                "{}{}{}",
                rng.pick(SURNAMES),
                rng.pick(GIVEN),
                rng.pick(GIVEN)
            );
            if !collectors.contains(&name) {
                collectors.push(name);
            }
        }
        Cast {
            township,
            cadres,
            collectors,
        }
    }

    /// The cadre after the drawn ones, free for the planted 讨满意.
    pub fn planted(&self) -> Option<usize> {
        self.cadres.get(DRAWN_CADRES).copied()
    }

    /// The drawn cadres and the planted one.
    pub fn reserved(&self) -> &[usize] {
        &self.cadres[..(DRAWN_CADRES + 1).min(self.cadres.len())]
    }

    /// The cadres collectors visit (none drawn, none planted).
    pub fn visited(&self) -> &[usize] {
        &self.cadres[(DRAWN_CADRES + 1).min(self.cadres.len())..]
    }
}

/// One form's rows: `items` ratings, levels from `level(item)`.
pub struct Form {
    pub subject: usize,
    pub person: Option<usize>,
    pub method: u8,
    pub channel: u8,
    pub response: u64,
    pub date: crate::dates::Date,
    pub minute: u16,
}

impl Form {
    pub fn rows(
        &self,
        plan: &Plan,
        items: usize,
        mut level: impl FnMut(usize) -> u8,
    ) -> Vec<Rating> {
        let (rater, category) = match self.person {
            Some(p) => (
                Rater::Person(p as u32),
                plan.roster.people[p].category as u8,
            ),
            None => (Rater::Anonymous, plan.category("服务对象").unwrap_or(0)),
        };
        (0..items)
            .map(|item| Rating {
                response: self.response,
                subject: self.subject as u32,
                date: self.date,
                minute: self.minute,
                category,
                rater,
                method: self.method,
                channel: self.channel,
                item: item as u8,
                level: level(item),
                spelling: 0,
                comment: None,
            })
            .collect()
    }
}

/// A person of the township's 普通群众 (any township's when it has none).
pub fn villager(plan: &Plan, rng: &mut Rng, township: usize) -> Option<usize> {
    let c = plan.category("普通群众")? as usize;
    plan.roster.any_of(rng, township, c)
}

/// The quarter of the follow-up draw: the campaign draw's.
pub fn draw_quarter(plan: &Plan) -> usize {
    plan.quarters.len() - 2
}

/// A time in quarter `qi` during working hours (08:30–17:29).
pub fn daytime(plan: &Plan, rng: &mut Rng, qi: usize) -> (crate::dates::Date, u16) {
    let q = plan.quarters[qi];
    let date = date_in(rng, q.first_day(), q.days());
    (date, (510 + rng.below(540)) as u16)
}

/// A level drawn at the subject's quality in quarter `qi`.
fn natural(plan: &Plan, rng: &mut Rng, at: (usize, usize), person: usize, item: usize) -> u8 {
    let (subject, qi) = at;
    let cat = plan.category_name(plan.roster.people[person].category as u8);
    let quality = plan.county.subjects[subject].quality[qi];
    plan.levels
        .draw(rng, satisfaction(quality, cat, item), abstain_rate(cat))
}

/// The clean county's visits: honest collectors' three-item forms on the
/// township's cadres (民情恳谈 by 访谈), and the follow-up draw's one-item
/// forms (总体评价) on `DRAWN_CADRES` cadres, both at the cadres' quality.
pub fn honest(plan: &Plan, cast: &Cast) -> Vec<Visit> {
    let mut rng = Rng::derive(plan.seed, &[41]);
    let (lq, dq) = (plan.quarters.len() - 1, draw_quarter(plan));
    let (talk, draw, visit) = (
        plan.method("民情恳谈"),
        plan.method("随机抽查"),
        plan.channel("访谈"),
    );
    let mut out = Vec::new();
    let mut seq = 70_000;
    let visited = cast.visited();
    for name in &cast.collectors[..COLLECTORS] {
        for _ in 0..FORMS_EACH.min(visited.len() * FORMS_EACH) {
            let Some(person) = villager(plan, &mut rng, cast.township) else {
                return out;
            };
            let subject = *rng.pick(visited);
            let (date, minute) = daytime(plan, &mut rng, lq);
            seq += 1;
            let form = Form {
                subject,
                person: Some(person),
                method: talk,
                channel: visit,
                response: response_number(plan.quarters[lq], subject, seq),
                date,
                minute,
            };
            let items = plan.items(subject).len();
            let rows = form.rows(plan, items, |i| {
                natural(plan, &mut rng, (subject, lq), person, i)
            });
            out.extend(rows.into_iter().map(|rating| Visit {
                rating,
                collector: name.clone(),
            }));
        }
    }
    for &subject in cast.cadres.iter().take(DRAWN_CADRES) {
        for _ in 0..DRAW_FORMS {
            let Some(person) = villager(plan, &mut rng, cast.township) else {
                return out;
            };
            let (date, minute) = daytime(plan, &mut rng, dq);
            seq += 1;
            let form = Form {
                subject,
                person: Some(person),
                method: draw,
                channel: visit,
                response: response_number(plan.quarters[dq], subject, seq),
                date,
                minute,
            };
            let rows = form.rows(plan, 1, |i| {
                natural(plan, &mut rng, (subject, dq), person, i)
            });
            out.extend(rows.into_iter().map(|rating| Visit {
                rating,
                collector: DRAW_TEAM.to_string(),
            }));
        }
    }
    out
}

/// Writes the export (plain UTF-8), rows in response order; returns the rows.
pub fn write(plan: &Plan, dir: &Path, name: &str, rows: &mut [Visit]) -> Result<u64> {
    rows.sort_by_key(|v| {
        (
            v.rating.date,
            v.rating.minute,
            v.rating.response,
            v.rating.item,
        )
    });
    let mut out = CsvOut::create(&dir.join(name), Encoding::Utf8)?;
    out.row(VISITS.iter().map(|(h, _)| *h).chain(["采集人"]))?;
    for v in rows.iter() {
        let cells: Vec<_> = VISITS
            .iter()
            .map(|(_, f)| cell(plan, &v.rating, *f))
            .collect();
        out.row(
            cells
                .iter()
                .map(|c| c.as_ref())
                .chain([v.collector.as_str()]),
        )?;
    }
    out.finish()?;
    Ok(rows.len() as u64)
}
