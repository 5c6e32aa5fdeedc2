//! The generator's shared, read-only picture of the county: configuration,
//! subjects, roster, quarters and name → index look-ups. Built once, then
//! read from every generating thread.

use anyhow::{bail, Result};

use super::county::{self, County};
use super::model::Levels;
use super::people::{self, Roster};
use crate::config::Config;
use crate::dates::Quarter;

pub struct Plan<'a> {
    pub cfg: &'a Config,
    pub seed: u64,
    pub county: County,
    pub roster: Roster,
    pub quarters: Vec<Quarter>,
    pub levels: Levels,
}

/// Names the generator produces; the configuration must know them.
const METHODS: [&str; 3] = ["民情恳谈", "随机抽查", "群众测评"];
const CHANNELS: [&str; 7] = [
    "评议会",
    "座谈会",
    "测评表",
    "问卷",
    "访谈",
    "评价器",
    "网络",
];

impl<'a> Plan<'a> {
    pub fn new(cfg: &'a Config, seed: u64, start_year: i32, quarters: u32) -> Result<Plan<'a>> {
        for m in METHODS {
            if !cfg.methods.iter().any(|x| x.name == m) {
                bail!(
                    "the generator writes method `{m}`; add it to [[methods]] in the configuration"
                );
            }
        }
        for c in CHANNELS {
            if !cfg.channels.iter().any(|x| x.name == c) {
                bail!("the generator writes channel `{c}`; add it to [[channels]] in the configuration");
            }
        }
        for s in &cfg.sampling.strata {
            if !cfg.rater_categories.iter().any(|c| c.name == s.category) {
                bail!("sampling stratum `{}` is not a rater category", s.category);
            }
        }
        let first = Quarter {
            year: start_year,
            q: 1,
        };
        let quarters: Vec<Quarter> = (0..quarters).map(|i| first.nth_after(i)).collect();
        let county = county::build(cfg, seed, quarters.len());
        let roster = people::build(cfg, &county, seed);
        Ok(Plan {
            cfg,
            seed,
            county,
            roster,
            quarters,
            levels: Levels::new(cfg),
        })
    }

    pub fn method(&self, name: &str) -> u8 {
        self.cfg
            .methods
            .iter()
            .position(|m| m.name == name)
            .expect("checked in Plan::new") as u8
    }

    pub fn channel(&self, name: &str) -> u8 {
        self.cfg
            .channels
            .iter()
            .position(|c| c.name == name)
            .expect("checked in Plan::new") as u8
    }

    pub fn category(&self, name: &str) -> Option<u8> {
        self.cfg
            .rater_categories
            .iter()
            .position(|c| c.name == name)
            .map(|i| i as u8)
    }

    pub fn category_name(&self, idx: u8) -> &str {
        &self.cfg.rater_categories[idx as usize].name
    }

    /// What a subject is rated on: its org type's items, or for a cadre the
    /// items of its pioneer category.
    pub fn items(&self, subject: usize) -> &[String] {
        let s = &self.county.subjects[subject];
        let org_type = &self.cfg.org_types[s.org_type];
        if s.cadre {
            if let Some(p) = self.cfg.pioneer(&org_type.pioneer) {
                return &p.items;
            }
        }
        &org_type.items
    }

    pub fn org_type_name(&self, subject: usize) -> &str {
        &self.cfg.org_types[self.county.subjects[subject].org_type].name
    }

    /// Quarter index of a date inside the generated span.
    pub fn quarter_of(&self, d: crate::dates::Date) -> usize {
        self.quarters
            .iter()
            .position(|q| q.year == d.year && q.q == d.quarter())
            .unwrap_or(0)
    }
}
