//! The synthetic county: townships, villages and communities, organizations
//! of every org type and their cadres (3952 at the seed's size), each with a
//! quality that drifts over the quarters.

use std::collections::BTreeSet;

use super::names::*;
use crate::config::Config;
use crate::rng::Rng;
pub use crate::stats::largest_remainder;

pub const SEED_CADRES: usize = 3952;

#[derive(Debug, Clone)]
pub struct Village {
    pub name: String,
    pub township: usize,
    pub community: bool,
}

#[derive(Debug, Clone)]
pub struct Subject {
    pub id: String,
    pub name: String,
    pub cadre: bool,
    pub org_type: usize,
    pub township: usize,
    pub village: Option<usize>,
    pub parent: String,
    pub position: String,
    /// Index of the organization a cadre belongs to (itself for an org).
    pub org: usize,
    /// Satisfaction probability per quarter.
    pub quality: Vec<f64>,
    /// Tilt of this subject's raters away from the quota (0 = on quota).
    pub skew: f64,
    pub skew_group: usize,
    pub head: bool,
}

#[derive(Debug, Clone)]
pub struct County {
    pub townships: Vec<String>,
    pub villages: Vec<Village>,
    pub subjects: Vec<Subject>,
    /// Indices of subjects that are organizations.
    pub orgs: Vec<usize>,
}

impl County {
    pub fn village_org(&self, village: usize) -> usize {
        *self
            .orgs
            .iter()
            .find(|&&o| self.subjects[o].village == Some(village))
            .expect("every village has its party organization")
    }
}

pub fn build(cfg: &Config, seed: u64, quarters: usize) -> County {
    let mut rng = Rng::derive(seed, &[1]);
    let townships: Vec<String> = TOWNSHIPS.iter().map(|t| t.0.to_string()).collect();
    let villages = villages(&mut rng);
    let type_idx = |name: &str| {
        cfg.org_types
            .iter()
            .position(|o| o.name == name)
            .unwrap_or_else(|| cfg.org_types.len() - 1)
    };
    let mut subjects = organizations(&townships, &villages, &type_idx);
    let orgs: Vec<usize> = (0..subjects.len()).collect();
    cadres(cfg, &mut rng, &mut subjects, &orgs);
    for (i, s) in subjects.iter_mut().enumerate() {
        let mut r = Rng::derive(seed, &[2, i as u64]);
        s.quality = trajectory(&mut r, quarters);
        let groups = cfg.org_types[s.org_type].quota.len();
        s.skew_group = r.below(groups as u64) as usize;
        s.skew = if r.chance(0.15) {
            0.15 + 0.2 * r.f64()
        } else {
            0.0
        };
    }
    County {
        townships,
        villages,
        subjects,
        orgs,
    }
}

fn villages(rng: &mut Rng) -> Vec<Village> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (t, &(_, communities, villages)) in TOWNSHIPS.iter().enumerate() {
        for k in 0..communities + villages {
            let community = k < communities;
            let name = loop {
                let stem = format!("{}{}", rng.pick(PLACE_FIRST), rng.pick(PLACE_SECOND));
                let name = format!("{stem}{}", if community { "社区" } else { "村" });
                if seen.insert(stem) {
                    break name;
                }
            };
            out.push(Village {
                name,
                township: t,
                community,
            });
        }
    }
    out
}

fn org(
    id: usize,
    name: String,
    org_type: usize,
    township: usize,
    village: Option<usize>,
    parent: &str,
) -> Subject {
    Subject {
        id: format!("ZZ{:04}", id + 1),
        name,
        cadre: false,
        org_type,
        township,
        village,
        parent: parent.to_string(),
        position: String::new(),
        org: id,
        quality: Vec::new(),
        skew: 0.0,
        skew_group: 0,
        head: false,
    }
}

/// Party organizations of every org type, in a fixed order.
fn organizations(
    townships: &[String],
    villages: &[Village],
    type_idx: &dyn Fn(&str) -> usize,
) -> Vec<Subject> {
    let mut out: Vec<Subject> = Vec::new();
    let mut push =
        |name: String, ty: &str, township: usize, village: Option<usize>, parent: &str| {
            let id = out.len();
            out.push(org(id, name, type_idx(ty), township, village, parent));
        };
    for (v, village) in villages.iter().enumerate() {
        let ty = if village.community {
            "社区"
        } else {
            "农村"
        };
        let parent = format!("{}党委", townships[village.township]);
        push(
            format!("{}党总支", village.name),
            ty,
            village.township,
            Some(v),
            &parent,
        );
    }
    for (t, name) in townships.iter().enumerate() {
        push(format!("{name}党委"), "机关", t, None, "县委");
    }
    for organ in COUNTY_ORGANS {
        push(format!("{organ}党支部"), "机关", 0, None, "县直机关工委");
    }
    for (t, name) in townships.iter().enumerate() {
        push(
            format!("{name}中心学校党支部"),
            "学校",
            t,
            None,
            "县教育局党委",
        );
        push(
            format!("{name}卫生院党支部"),
            "医院",
            t,
            None,
            "县卫生局党委",
        );
    }
    for s in COUNTY_SCHOOLS {
        push(format!("{s}党支部"), "学校", 0, None, "县教育局党委");
    }
    for h in COUNTY_HOSPITALS {
        push(format!("{h}党支部"), "医院", 0, None, "县卫生局党委");
    }
    for (k, e) in ENTERPRISES.iter().enumerate() {
        push(
            format!("{e}党支部"),
            "企业",
            k % townships.len(),
            None,
            "县非公经济组织党工委",
        );
    }
    for s in SOCIAL_ORGS {
        push(format!("{s}党支部"), "社会组织", 0, None, "县社会组织党委");
    }
    out
}

/// Relative number of cadres an organization of this type has.
fn cadre_weight(org_type: &str, name: &str) -> u64 {
    match org_type {
        "农村" => 22,
        "社区" => 18,
        "机关" if name.ends_with("党委") => 60,
        "机关" => 30,
        "学校" | "医院" => 40,
        "企业" => 15,
        _ => 6,
    }
}

/// Exactly SEED_CADRES cadres spread over organizations by largest remainder.
fn cadres(cfg: &Config, rng: &mut Rng, subjects: &mut Vec<Subject>, orgs: &[usize]) {
    let weights: Vec<u64> = orgs
        .iter()
        .map(|&o| cadre_weight(&cfg.org_types[subjects[o].org_type].name, &subjects[o].name))
        .collect();
    let counts = largest_remainder(SEED_CADRES as u64, &weights);
    for (&o, &n) in orgs.iter().zip(&counts) {
        let parent = subjects[o].clone();
        let ty = &cfg.org_types[parent.org_type].name;
        let posts = positions(ty);
        for k in 0..n as usize {
            let id = subjects.len() - orgs.len();
            let given: String = (0..rng.range(1, 2)).map(|_| *rng.pick(GIVEN)).collect();
            let position = if k < 2 {
                posts[k.min(posts.len() - 1)]
            } else {
                posts[2 + rng.below(posts.len() as u64 - 2) as usize]
            };
            subjects.push(Subject {
                id: format!("GB{:05}", id + 1),
                name: format!("{}{}", rng.pick(SURNAMES), given),
                cadre: true,
                org_type: parent.org_type,
                township: parent.township,
                village: parent.village,
                parent: parent.name.clone(),
                position: position.to_string(),
                org: o,
                quality: Vec::new(),
                skew: 0.0,
                skew_group: 0,
                head: k == 0,
            });
        }
    }
}

/// Satisfaction probability per quarter: mostly stable, some improving, some
/// declining, a few with a crisis deep enough to breach the rules.
fn trajectory(r: &mut Rng, quarters: usize) -> Vec<f64> {
    let base = 0.88 + 0.10 * r.f64();
    let kind = r.f64();
    let last = quarters.saturating_sub(1).max(1) as f64;
    let crisis_at = r.below(quarters as u64) as usize;
    let crisis_len = 1 + r.below(2) as usize;
    let crisis_depth = 0.30 + 0.15 * r.f64();
    (0..quarters)
        .map(|t| {
            let x = t as f64 / last;
            let q = if kind < 0.70 {
                base
            } else if kind < 0.81 {
                base - 0.15 * (1.0 - x)
            } else if kind < 0.93 {
                base - (0.10 + 0.15 * (kind - 0.81) / 0.12) * x
            } else if (crisis_at..crisis_at + crisis_len).contains(&t) {
                base - crisis_depth
            } else {
                base
            };
            (q + r.normalish(0.01)).clamp(0.05, 0.995)
        })
        .collect()
}

#[cfg(test)]
mod tests {}
