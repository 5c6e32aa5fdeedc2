//! Routine evaluation over every quarter (the bulk at large scales): talk
//! sessions, questionnaires, online forms and evaluation devices, rating
//! organizations and cadres. Generated in chunks of subjects, each from its
//! own random stream, so the output does not depend on thread scheduling.

use std::ops::Range;

use super::campaign::response_number;
use super::model::*;
use super::names::{NEGATIVE, POSITIVE, SUGGESTIONS};
use super::plan::Plan;
use crate::rng::Rng;

pub struct Chunk {
    pub ratings: Vec<Rating>,
    pub suggestions: Vec<Suggestion>,
}

/// Relative share of routine ratings a subject receives.
fn weight(plan: &Plan, s: usize) -> f64 {
    let subject = &plan.county.subjects[s];
    match (subject.cadre, subject.head, plan.org_type_name(s)) {
        (true, true, _) => 0.10,
        (true, false, _) => 0.004,
        (false, _, "机关" | "医院") => 1.5,
        (false, _, _) => 1.0,
    }
}

/// Rows per (subject, quarter) per unit of weight, so the total is about `rows`.
pub fn rows_per_weight(plan: &Plan, rows: u64) -> f64 {
    let total: f64 = (0..plan.county.subjects.len())
        .map(|s| weight(plan, s))
        .sum();
    rows as f64 / (total * plan.quarters.len() as f64)
}

/// Per org type: quota groups as (share, [(category, weight)]).
pub struct Quotas(Vec<Vec<(f64, Weights)>>);

/// Rater categories (by index) and their weights within a quota group.
type Weights = Vec<(u8, f64)>;

impl Quotas {
    pub fn new(plan: &Plan) -> Quotas {
        Quotas(
            plan.cfg
                .org_types
                .iter()
                .map(|o| {
                    o.quota
                        .iter()
                        .map(|g| {
                            let cats = g
                                .categories
                                .iter()
                                .filter_map(|c| {
                                    plan.category(c).map(|i| {
                                        (
                                            i,
                                            if c == "普通群众" || c == "服务对象" {
                                                3.0
                                            } else {
                                                1.0
                                            },
                                        )
                                    })
                                })
                                .collect();
                            (g.share, cats)
                        })
                        .collect()
                })
                .collect(),
        )
    }

    /// A rater category for a subject: its org type's quota, tilted toward one
    /// group for the subjects whose rater mix is off quota.
    fn draw(&self, rng: &mut Rng, org_type: usize, skew: f64, skew_group: usize) -> Option<u8> {
        let groups = &self.0[org_type];
        let shares: Vec<f64> = groups
            .iter()
            .enumerate()
            .map(|(g, (s, cats))| {
                if cats.is_empty() {
                    0.0
                } else {
                    s + if g == skew_group { skew } else { 0.0 }
                }
            })
            .collect();
        let (_, cats) = &groups[rng.weighted(&shares)];
        let w: Vec<f64> = cats.iter().map(|c| c.1).collect();
        (!cats.is_empty()).then(|| cats[rng.weighted(&w)].0)
    }
}

pub fn generate(plan: &Plan, quotas: &Quotas, subjects: Range<usize>, per_weight: f64) -> Chunk {
    let mut out = Chunk {
        ratings: Vec::new(),
        suggestions: Vec::new(),
    };
    for s in subjects {
        for qi in 0..plan.quarters.len() {
            let mut rng = Rng::derive(plan.seed, &[20, s as u64, qi as u64]);
            subject_quarter(
                plan,
                quotas,
                s,
                qi,
                weight(plan, s) * per_weight,
                &mut rng,
                &mut out,
            );
        }
    }
    out
}

fn subject_quarter(
    plan: &Plan,
    quotas: &Quotas,
    s: usize,
    qi: usize,
    rows: f64,
    rng: &mut Rng,
    out: &mut Chunk,
) {
    let subject = &plan.county.subjects[s];
    let mix = channel_mix(plan.org_type_name(s), subject.cadre);
    let items = plan.items(s).len();
    let rows_per_response: f64 = mix
        .iter()
        .map(|(c, w)| w * if *c == "评价器" { 1.0 } else { items as f64 })
        .sum();
    let expected = rows / rows_per_response;
    let responses = expected.floor() as u64 + u64::from(rng.chance(expected.fract()));
    let shares: Vec<f64> = mix.iter().map(|m| m.1).collect();
    let quarter = plan.quarters[qi];
    let client = plan.category("服务对象");
    for seq in 1..=responses {
        let channel_name = mix[rng.weighted(&shares)].0;
        let device = channel_name == "评价器";
        let category = if device {
            client
        } else {
            quotas.draw(rng, subject.org_type, subject.skew, subject.skew_group)
        };
        let Some(category) = category.or(client) else {
            continue;
        };
        let cat_name = plan.category_name(category);
        let rater = if device || channel_name == "网络" {
            Rater::Anonymous
        } else if Some(category) == client {
            Rater::Client(rng.below(100_000_000) as u32)
        } else {
            plan.roster
                .any_of(rng, subject.township, category as usize)
                .map_or(Rater::Anonymous, |p| Rater::Person(p as u32))
        };
        let date = date_in(rng, quarter.first_day(), quarter.days());
        let minute = (510 + rng.below(540)) as u16;
        let method = plan.method(method_of_channel(channel_name));
        let abstain = if device { 0.0 } else { abstain_rate(cat_name) };
        let mut comment = rng.chance(0.04);
        for item in 0..if device { 1 } else { items } {
            let level = plan.levels.draw(
                rng,
                satisfaction(subject.quality[qi], cat_name, item),
                abstain,
            );
            let text = if std::mem::take(&mut comment) {
                Some(*rng.pick(if plan.levels.is_satisfied(level) {
                    POSITIVE
                } else {
                    NEGATIVE
                }))
            } else {
                None
            };
            out.ratings.push(Rating {
                response: response_number(quarter, s, seq),
                subject: s as u32,
                date,
                minute,
                category,
                rater,
                method,
                channel: plan.channel(channel_name),
                item: item as u8,
                level,
                spelling: if rng.chance(0.02) {
                    1 + rng.below(3) as u8
                } else {
                    0
                },
                comment: text,
            });
        }
        if method_of_channel(channel_name) == "民情恳谈" && rng.chance(0.04) {
            out.suggestions.push(Suggestion {
                subject: s as u32,
                received: date,
                method,
                template: rng.below(SUGGESTIONS.len() as u64) as usize,
            });
        }
    }
}
