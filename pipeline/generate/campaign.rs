//! The seed's "四群" campaign, reproduced to its published figures: a random
//! draw (随机抽查) of 1977 people at 2:7:1 per village whose evaluation comes to
//! 94.65% with 187 suggestions, and survey forms (群众测评) by 9200-odd people
//! over all 3952 cadres. Below the default scale it shrinks in proportion.

use super::county::{largest_remainder, SEED_CADRES};
use super::model::{abstain_rate, date_in, satisfaction, Rater, Rating, Suggestion};
use super::plan::Plan;
use crate::dates::Quarter;
use crate::rng::Rng;

pub const SEED_DRAW: u64 = 1977;
pub const SEED_DRAW_SUGGESTIONS: usize = 187;
pub const SEED_DRAW_RATE: f64 = 0.9465;
/// Survey-form raters: "9200余名", i.e. between 9200 and 9300.
pub const SEED_SURVEY_PEOPLE: (u64, u64) = (9201, 9299);
/// Rating rows the full campaign produces, roughly (to scale it down).
pub const CAMPAIGN_ROWS: u64 = 1977 * 3 + 9250;

pub struct Campaign {
    pub random: Vec<Rating>,
    pub survey: Vec<Rating>,
    pub suggestions: Vec<Suggestion>,
}

pub fn build(plan: &Plan, fraction: f64) -> Campaign {
    let draw_total = (SEED_DRAW as f64 * fraction).round() as u64;
    let mut random = random_draw(plan, draw_total);
    let mut rng = Rng::derive(plan.seed, &[12]);
    calibrate(plan, &mut random, SEED_DRAW_RATE, &mut rng);
    let wanted = (SEED_DRAW_SUGGESTIONS as f64 * fraction).round() as usize;
    let suggestions = draw_suggestions(plan, &random, wanted, &mut rng);
    let survey = survey_forms(plan, fraction);
    Campaign {
        random,
        survey,
        suggestions,
    }
}

fn yyq(q: Quarter) -> u64 {
    (q.year.rem_euclid(100) as u64) * 10 + u64::from(q.q)
}

pub fn response_number(q: Quarter, subject: usize, seq: u64) -> u64 {
    yyq(q) * 10_000_000_000 + subject as u64 * 100_000 + seq
}

/// The quarter the random draw happened in: the one before the last
/// (2012Q3 with the default span 2011Q1–2012Q4).
fn draw_quarter(plan: &Plan) -> usize {
    plan.quarters.len().saturating_sub(2)
}

fn random_draw(plan: &Plan, total: u64) -> Vec<Rating> {
    let cfg = plan.cfg;
    let strata: Vec<(u8, u64)> = cfg
        .sampling
        .strata
        .iter()
        .map(|s| {
            (
                plan.category(&s.category).expect("checked"),
                u64::from(s.weight),
            )
        })
        .collect();
    let weights: Vec<u64> = strata.iter().map(|s| s.1).collect();
    let eligible: Vec<u64> = (0..plan.county.villages.len())
        .map(|v| {
            strata
                .iter()
                .map(|&(c, _)| plan.roster.by_village[v][c as usize].len() as u64)
                .sum()
        })
        .collect();
    let per_village = largest_remainder(total, &eligible);
    let qi = draw_quarter(plan);
    let quarter = plan.quarters[qi];
    let (survey, visit) = (plan.channel("问卷"), plan.channel("访谈"));
    let method = plan.method("随机抽查");
    let mut out = Vec::new();
    for (v, &n) in per_village.iter().enumerate() {
        let mut rng = Rng::derive(plan.seed, &[10, v as u64]);
        let org = plan.county.village_org(v);
        let items = plan.items(org).len();
        let mut seq = 0;
        for (&(cat, _), k) in strata.iter().zip(largest_remainder(n, &weights)) {
            let mut pool = plan.roster.by_village[v][cat as usize].clone();
            rng.shuffle(&mut pool);
            for &person in pool.iter().take(k as usize) {
                seq += 1;
                let date = date_in(&mut rng, quarter.first_day(), quarter.days());
                let channel = if rng.chance(0.7) { survey } else { visit };
                let form = Form {
                    subject: org,
                    quarter: qi,
                    date,
                    person,
                    method,
                    channel,
                    response: response_number(quarter, org, seq),
                };
                form.rate(plan, &mut rng, items, &mut out);
            }
        }
    }
    out
}

/// Flips as few ratings as needed so satisfied / valid rounds to `target` at
/// four decimals (0.01 percentage point), as the seed reports it.
fn calibrate(plan: &Plan, ratings: &mut [Rating], target: f64, rng: &mut Rng) {
    let levels = &plan.levels;
    loop {
        let valid: Vec<usize> = (0..ratings.len())
            .filter(|&i| Some(ratings[i].level) != levels.abstain)
            .collect();
        let v = valid.len() as f64;
        if valid.is_empty() {
            return;
        }
        let goal = (target * v).round();
        if (goal / v - target).abs() < 0.00005 {
            let (sat, unsat): (Vec<usize>, Vec<usize>) = valid
                .iter()
                .partition(|&&i| levels.is_satisfied(ratings[i].level));
            let have = sat.len() as f64;
            let (mut from, to_satisfied) = if have > goal {
                (sat, false)
            } else {
                (unsat, true)
            };
            rng.shuffle(&mut from);
            for &i in from.iter().take((have - goal).abs() as usize) {
                ratings[i].level = levels.draw_valid(rng, to_satisfied);
            }
            return;
        }
        // No whole number of satisfied ratings hits the target at this many
        // valid ratings: make one more (or one fewer) rating an abstention.
        match levels.abstain {
            Some(ab) => ratings[valid[rng.below(valid.len() as u64) as usize]].level = ab,
            None => return,
        }
    }
}

fn draw_suggestions(
    plan: &Plan,
    random: &[Rating],
    wanted: usize,
    rng: &mut Rng,
) -> Vec<Suggestion> {
    let mut firsts: Vec<&Rating> = random.iter().filter(|r| r.item == 0).collect();
    rng.shuffle(&mut firsts);
    let mut picked: Vec<&Rating> = firsts.into_iter().take(wanted).collect();
    picked.sort_by_key(|r| r.response);
    let method = plan.method("随机抽查");
    picked
        .into_iter()
        .map(|r| Suggestion {
            subject: r.subject,
            received: r.date,
            method,
            template: rng.below(super::names::SUGGESTIONS.len() as u64) as usize,
        })
        .collect()
}

/// Is a cadre bound to one township (village, community or township body)?
fn is_local(plan: &Plan, subject: usize) -> bool {
    let org = &plan.county.subjects[plan.county.subjects[subject].org];
    org.village.is_some()
        || org
            .name
            .starts_with(plan.county.townships[org.township].as_str())
}

/// Households linked to cadres fill in the 群众满意度测评表: every cadre rated,
/// each person rating the one cadre they are linked to.
fn survey_forms(plan: &Plan, fraction: f64) -> Vec<Rating> {
    let mut rng = Rng::derive(plan.seed, &[11]);
    let people_target =
        (rng.range(SEED_SURVEY_PEOPLE.0, SEED_SURVEY_PEOPLE.1) as f64 * fraction).round() as usize;
    let mut cadres: Vec<usize> = (0..plan.county.subjects.len())
        .filter(|&s| plan.county.subjects[s].cadre)
        .collect();
    rng.shuffle(&mut cadres);
    let covered = ((SEED_CADRES as f64 * fraction).round() as usize).clamp(1, cadres.len());
    cadres.truncate(covered);
    cadres.sort_unstable();
    let mut links = vec![1usize; cadres.len()];
    for _ in 0..people_target.saturating_sub(cadres.len()) {
        links[rng.below(cadres.len() as u64) as usize] += 1;
    }
    let households: Vec<u8> = ["普通群众", "先锋户", "老党员", "致富带头人"]
        .iter()
        .filter_map(|c| plan.category(c))
        .collect();
    let mut pools: Vec<Vec<usize>> = plan
        .roster
        .by_township
        .iter()
        .map(|t| {
            let mut p: Vec<usize> = households
                .iter()
                .flat_map(|&c| t[c as usize].iter().copied())
                .collect();
            rng.shuffle(&mut p);
            p
        })
        .collect();
    // Township-bound cadres take people from their township first; county
    // cadres then take from whatever is left anywhere.
    let mut assigned: Vec<(usize, Vec<usize>)> = Vec::new();
    for local in [true, false] {
        for (k, &c) in cadres.iter().enumerate() {
            if is_local(plan, c) != local {
                continue;
            }
            let t = plan.county.subjects[c].township;
            let people: Vec<usize> = (0..links[k])
                .filter_map(|_| {
                    take_person(&mut pools, if local { Some(t) } else { None }, &mut rng)
                })
                .collect();
            assigned.push((c, people));
        }
    }
    assigned.sort_by_key(|a| a.0);
    let window = plan.quarters.len().saturating_sub(3);
    let first = plan.quarters[window].first_day();
    let days = plan.quarters.last().expect("quarters").last_day().to_days() - first.to_days() + 1;
    let (method, channel) = (plan.method("群众测评"), plan.channel("测评表"));
    let mut out = Vec::new();
    for (cadre, people) in assigned {
        for (k, person) in people.into_iter().enumerate() {
            let date = date_in(&mut rng, first, days);
            let quarter = plan.quarter_of(date);
            let response = response_number(plan.quarters[quarter], cadre, 50_000 + k as u64);
            let form = Form {
                subject: cadre,
                quarter,
                date,
                person,
                method,
                channel,
                response,
            };
            // One overall rating (总体评价) per form, as on the 群众满意度测评表.
            form.rate(plan, &mut rng, 1, &mut out);
        }
    }
    out
}

/// One person's filled-in form about one subject.
struct Form {
    subject: usize,
    quarter: usize,
    date: crate::dates::Date,
    person: usize,
    method: u8,
    channel: u8,
    response: u64,
}

impl Form {
    /// Rates the subject's first `items` items, each level drawn from the
    /// subject's quality that quarter and the rater's category.
    fn rate(&self, plan: &Plan, rng: &mut Rng, items: usize, out: &mut Vec<Rating>) {
        let quality = plan.county.subjects[self.subject].quality[self.quarter];
        let category = plan.roster.people[self.person].category as u8;
        let cat_name = plan.category_name(category);
        for item in 0..items {
            out.push(Rating {
                response: self.response,
                subject: self.subject as u32,
                date: self.date,
                minute: 0,
                category,
                rater: Rater::Person(self.person as u32),
                method: self.method,
                channel: self.channel,
                item: item as u8,
                level: plan.levels.draw(
                    rng,
                    satisfaction(quality, cat_name, item),
                    abstain_rate(cat_name),
                ),
                spelling: 0,
                comment: None,
            });
        }
    }
}

fn take_person(pools: &mut [Vec<usize>], township: Option<usize>, rng: &mut Rng) -> Option<usize> {
    if let Some(t) = township {
        if let Some(p) = pools[t].pop() {
            return Some(p);
        }
    }
    let nonempty: Vec<usize> = (0..pools.len()).filter(|&t| !pools[t].is_empty()).collect();
    if nonempty.is_empty() {
        return None;
    }
    pools[*rng.pick(&nonempty)].pop()
}
