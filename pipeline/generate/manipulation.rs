//! Planted manipulation (issue 38), so the integrity audit has real cases
//! to find and the tests an answer key (EXPECTED-INTEGRITY.csv):
//! - 讨满意: the county's follow-up draw of a village cadre's households
//!   (with the campaign's draw) gives 62%; next quarter his self-collected
//!   forms (he is the 采集人, 群众测评 by 测评表) are 98% 满意 (`method_effect`);
//! - a device burst: 60 votes of 满意 for one service hall from its own
//!   evaluation device within a minute at 03:00 (`burst`, `off_hours`);
//! - one rater key stuffing one cadre with 12 more forms of 满意 in the
//!   quarter he already rated him (`duplicate_key`);
//! - a straight-lining collector: every item of 40 forms 满意
//!   (`straight_lining`).
//!
//! Everything is *added* rows for chosen subjects (in the last quarter,
//! the draw in the one before), so the rest of the county keeps its
//! figures; choices follow from the seed.

use std::path::Path;

use anyhow::Result;

use super::campaign::response_number;
use super::export::{CsvOut, Encoding};
use super::model::Rating;
use super::plan::Plan;
use super::visits::{daytime, draw_quarter, villager, Cast, Form, Visit, DRAW_TEAM};
use crate::rng::Rng;

/// Sizes of the plants.
const SELF_FORMS: usize = 50;
const SELF_SATISFIED: usize = 49;
const DRAW_FORMS: usize = 50;
const DRAW_SATISFIED: usize = 31;
const BURST_VOTES: usize = 60;
const STUFFED_FORMS: usize = 12;
const LINER_FORMS: usize = 40;

/// One planted case as the audit should report it.
#[derive(Debug, Clone)]
pub struct Expected {
    pub check: &'static str,
    pub unit: &'static str,
    /// The device or collector; empty for a rater key (stored only keyed).
    pub unit_id: String,
    pub subject_id: String,
    pub window: String,
    /// The count the table's `n` shows (empty where it depends on other rows).
    pub n: Option<u64>,
    pub planted: String,
}

/// The planted rows by the export they go to, and the answer key.
#[derive(Default)]
pub struct Plants {
    pub survey: Vec<Rating>,
    pub device: Vec<Rating>,
    pub visits: Vec<Visit>,
    pub expected: Vec<Expected>,
}

/// Every plant. `survey` is the campaign's survey forms (the stuffing
/// repeats one of them).
pub fn plant(plan: &Plan, cast: &Cast, survey: &[Rating]) -> Plants {
    let mut p = Plants::default();
    self_collected(plan, cast, &mut p);
    burst(plan, &mut p);
    stuffing(plan, cast, survey, &mut p);
    straight_liner(plan, cast, &mut p);
    p
}

/// Levels for `n` one-item forms with exactly `satisfied` of them satisfied
/// (满意 or 基本满意 as a satisfied rater chooses), in a shuffled order.
fn exact(plan: &Plan, rng: &mut Rng, n: usize, satisfied: usize) -> Vec<u8> {
    let mut out: Vec<u8> = (0..n)
        .map(|i| plan.levels.draw_valid(rng, i < satisfied))
        .collect();
    rng.shuffle(&mut out);
    out
}

/// The cadre after the drawn ones: his own forms, and his households in the
/// follow-up draw (other people than those he visited).
fn self_collected(plan: &Plan, cast: &Cast, p: &mut Plants) {
    let Some(cadre) = cast.planted() else {
        return;
    };
    let mut rng = Rng::derive(plan.seed, &[42]);
    let last = *plan.quarters.last().expect("at least four quarters");
    let name = plan.county.subjects[cadre].name.clone();
    let (lq, dq) = (plan.quarters.len() - 1, draw_quarter(plan));
    let sides = [
        (
            plan.method("群众测评"),
            plan.channel("测评表"),
            SELF_FORMS,
            SELF_SATISFIED,
            name.clone(),
            80_000,
            lq,
        ),
        (
            plan.method("随机抽查"),
            plan.channel("访谈"),
            DRAW_FORMS,
            DRAW_SATISFIED,
            DRAW_TEAM.to_string(),
            81_000,
            dq,
        ),
    ];
    let mut people: Vec<usize> = Vec::new();
    while people.len() < SELF_FORMS + DRAW_FORMS {
        let Some(person) = villager(plan, &mut rng, cast.township) else {
            return;
        };
        if !people.contains(&person) {
            people.push(person);
        }
    }
    let mut people = people.into_iter();
    for (method, channel, forms, satisfied, collector, base, qi) in sides {
        let levels = exact(plan, &mut rng, forms, satisfied);
        for (k, level) in levels.into_iter().enumerate() {
            let (date, minute) = daytime(plan, &mut rng, qi);
            let form = Form {
                subject: cadre,
                person: people.next(),
                method,
                channel,
                response: response_number(plan.quarters[qi], cadre, base + k as u64),
                date,
                minute,
            };
            p.visits.extend(
                form.rows(plan, 1, |_| level)
                    .into_iter()
                    .map(|rating| Visit {
                        rating,
                        collector: collector.clone(),
                    }),
            );
        }
    }
    let id = plan.county.subjects[cadre].id.clone();
    p.expected.push(Expected {
        check: "method_effect",
        unit: "subject",
        unit_id: id.clone(),
        subject_id: id,
        window: last.year.to_string(),
        n: None,
        planted: format!(
            "采集人{name}自采测评表{SELF_FORMS}份、满意{SELF_SATISFIED}份；{DRAW_TEAM}随机回访{DRAW_FORMS}份、满意{DRAW_SATISFIED}份"
        ),
    });
}

/// A service hall's own device pressing 满意 60 times at 03:00.
fn burst(plan: &Plan, p: &mut Plants) {
    let mut rng = Rng::derive(plan.seed, &[43]);
    let halls: Vec<usize> = plan
        .county
        .orgs
        .iter()
        .copied()
        .filter(|&o| matches!(plan.org_type_name(o), "机关" | "医院" | "社区"))
        .collect();
    if halls.is_empty() {
        return;
    }
    let hall = *rng.pick(&halls);
    let (date, _) = daytime(plan, &mut rng, plan.quarters.len() - 1);
    let last = *plan.quarters.last().expect("at least four quarters");
    let form = |k: usize| Form {
        subject: hall,
        person: None,
        method: plan.method("群众测评"),
        channel: plan.channel("评价器"),
        // Consecutive numbers: the export's seconds (response % 60) all differ.
        response: response_number(last, hall, 95_000 + k as u64),
        date,
        minute: 180,
    };
    let top = plan.levels.satisfied[0];
    for k in 0..BURST_VOTES {
        p.device.extend(form(k).rows(plan, 1, |_| top));
    }
    let id = plan.county.subjects[hall].id.clone();
    let device = super::export::cell(plan, &p.device[0], super::export::Field::Device).into_owned();
    for (check, window) in [("burst", date.to_string()), ("off_hours", last.to_string())] {
        p.expected.push(Expected {
            check,
            unit: "device",
            unit_id: device.clone(),
            subject_id: id.clone(),
            window,
            n: Some(BURST_VOTES as u64),
            planted: format!("评价器{device}于{date} 03:00一分钟内{BURST_VOTES}票满意"),
        });
    }
}

/// One household linked to a cadre hands in 12 more forms of 满意 for him
/// in the quarter of its genuine form.
fn stuffing(plan: &Plan, cast: &Cast, survey: &[Rating], p: &mut Plants) {
    let mut rng = Rng::derive(plan.seed, &[44]);
    let last = *plan.quarters.last().expect("at least four quarters");
    let planted: Vec<u32> = cast.reserved().iter().map(|&c| c as u32).collect();
    let candidates: Vec<&Rating> = survey
        .iter()
        .filter(|r| r.date >= last.first_day() && !planted.contains(&r.subject))
        .collect();
    if candidates.is_empty() {
        return;
    }
    let genuine = *rng.pick(&candidates);
    let super::model::Rater::Person(person) = genuine.rater else {
        return;
    };
    let top = plan.levels.satisfied[0];
    for k in 0..STUFFED_FORMS {
        let form = Form {
            subject: genuine.subject as usize,
            person: Some(person as usize),
            method: genuine.method,
            channel: genuine.channel,
            response: response_number(last, genuine.subject as usize, 90_000 + k as u64),
            date: last.first_day().add_days(40 + (k % 3) as i64),
            minute: 0,
        };
        p.survey.extend(form.rows(plan, 1, |_| top));
    }
    let rater = &plan.roster.people[person as usize].id;
    p.expected.push(Expected {
        check: "duplicate_key",
        unit: "rater_key",
        unit_id: String::new(),
        subject_id: plan.county.subjects[genuine.subject as usize].id.clone(),
        window: last.to_string(),
        n: Some(STUFFED_FORMS as u64 + 1),
        planted: format!("评议人{rater}在已有1份测评表之外又交{STUFFED_FORMS}份满意"),
    });
}

/// The sixth collector fills every item of his 40 forms with 满意.
fn straight_liner(plan: &Plan, cast: &Cast, p: &mut Plants) {
    let Some(name) = cast.collectors.last() else {
        return;
    };
    let subjects = cast.visited();
    if subjects.is_empty() {
        return;
    }
    let mut rng = Rng::derive(plan.seed, &[45]);
    let last = *plan.quarters.last().expect("at least four quarters");
    let top = plan.levels.satisfied[0];
    for k in 0..LINER_FORMS {
        let Some(person) = villager(plan, &mut rng, cast.township) else {
            return;
        };
        let subject = *rng.pick(subjects);
        let (date, minute) = daytime(plan, &mut rng, plan.quarters.len() - 1);
        let form = Form {
            subject,
            person: Some(person),
            method: plan.method("民情恳谈"),
            channel: plan.channel("访谈"),
            response: response_number(last, subject, 85_000 + k as u64),
            date,
            minute,
        };
        let items = plan.items(subject).len();
        p.visits.extend(
            form.rows(plan, items, |_| top)
                .into_iter()
                .map(|rating| Visit {
                    rating,
                    collector: name.clone(),
                }),
        );
    }
    p.expected.push(Expected {
        check: "straight_lining",
        unit: "collector",
        unit_id: name.clone(),
        subject_id: String::new(),
        window: String::new(),
        n: Some(LINER_FORMS as u64),
        planted: format!("采集人{name}的{LINER_FORMS}份测评表每项均为满意"),
    });
}

/// The answer key of the planted manipulation (header only when none).
pub fn expected_integrity(path: &Path, expected: &[Expected]) -> Result<()> {
    let mut out = CsvOut::create(path, Encoding::Utf8Bom)?;
    out.row([
        "check",
        "unit",
        "unit_id",
        "subject_id",
        "window",
        "n",
        "planted",
    ])?;
    for e in expected {
        out.row([
            e.check,
            e.unit,
            &e.unit_id,
            &e.subject_id,
            &e.window,
            &e.n.map(|n| n.to_string()).unwrap_or_default(),
            &e.planted,
        ])?;
    }
    out.finish()
}
