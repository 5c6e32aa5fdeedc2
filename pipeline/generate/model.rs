//! What one generated rating and one suggestion are, and how a rating's level
//! is drawn from a subject's quality, the rater's category and the item.

use crate::config::Config;
use crate::dates::Date;
use crate::rng::Rng;

/// Who rated: a roster person, a walk-in service client, or nobody known
/// (devices and online forms are anonymous).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rater {
    Anonymous,
    Person(u32),
    Client(u32),
}

/// One row of a rating export: (response, subject, item).
#[derive(Debug, Clone)]
pub struct Rating {
    pub response: u64,
    pub subject: u32,
    pub date: Date,
    /// Minutes after midnight, for exports that carry a time.
    pub minute: u16,
    pub category: u8,
    pub rater: Rater,
    pub method: u8,
    pub channel: u8,
    /// Index into the subject's item list.
    pub item: u8,
    /// Index into the configured scale.
    pub level: u8,
    /// 0: the canonical spelling; otherwise a configured alias or stray spaces,
    /// as typists produce them (still valid input).
    pub spelling: u8,
    pub comment: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct Suggestion {
    pub subject: u32,
    pub received: Date,
    pub method: u8,
    /// Index into names::SUGGESTIONS.
    pub template: usize,
}

/// Scale levels grouped the way the generator draws them.
#[derive(Debug, Clone)]
pub struct Levels {
    pub satisfied: Vec<u8>,
    pub unsatisfied: Vec<u8>,
    pub abstain: Option<u8>,
}

impl Levels {
    pub fn new(cfg: &Config) -> Levels {
        let mut sat: Vec<(f64, u8)> = Vec::new();
        let mut unsat = Vec::new();
        let mut abstain = None;
        for (i, l) in cfg.scale.iter().enumerate() {
            match (l.abstain, l.satisfied) {
                (true, _) => abstain = abstain.or(Some(i as u8)),
                (false, true) => sat.push((l.score.unwrap_or(0.0), i as u8)),
                (false, false) => unsat.push(i as u8),
            }
        }
        sat.sort_by(|a, b| b.0.partial_cmp(&a.0).expect("finite scores"));
        Levels {
            satisfied: sat.into_iter().map(|s| s.1).collect(),
            unsatisfied: unsat,
            abstain,
        }
    }

    pub fn is_satisfied(&self, level: u8) -> bool {
        self.satisfied.contains(&level)
    }

    /// A level for one rating with satisfaction probability `p` and abstain probability `a`.
    pub fn draw(&self, rng: &mut Rng, p: f64, a: f64) -> u8 {
        if let Some(ab) = self.abstain {
            if rng.chance(a) {
                return ab;
            }
        }
        let satisfied = rng.chance(p);
        self.draw_valid(rng, satisfied)
    }

    pub fn draw_valid(&self, rng: &mut Rng, satisfied: bool) -> u8 {
        if satisfied {
            // Most satisfied raters choose the top level (满意 over 基本满意).
            if self.satisfied.len() == 1 || rng.chance(0.7) {
                self.satisfied[0]
            } else {
                *rng.pick(&self.satisfied[1..])
            }
        } else {
            *rng.pick(&self.unsatisfied)
        }
    }
}

/// How a category's raters lean relative to the subject's quality.
pub fn category_bias(category: &str) -> f64 {
    match category {
        "村组干部" => 0.03,
        "两代表一委员" => 0.02,
        "离退休老干部" | "老党员" => 0.01,
        "服务对象" => -0.01,
        "普通群众" => -0.02,
        _ => 0.0,
    }
}

/// How often raters of a category answer 不了解.
pub fn abstain_rate(category: &str) -> f64 {
    match category {
        "普通群众" => 0.06,
        "服务对象" => 0.04,
        "先锋户" => 0.03,
        _ => 0.02,
    }
}

/// Satisfaction probability for a rating; later items are a little harsher.
pub fn satisfaction(quality: f64, category: &str, item: usize) -> f64 {
    (quality + category_bias(category) - 0.01 * item as f64).clamp(0.02, 0.995)
}

/// The method an evaluation channel belongs to in routine work.
pub fn method_of_channel(channel: &str) -> &'static str {
    match channel {
        "评议会" | "座谈会" | "访谈" => "民情恳谈",
        _ => "群众测评",
    }
}

/// Channel mix for routine ratings by org type (cadres get their own).
pub fn channel_mix(org_type: &str, cadre: bool) -> &'static [(&'static str, f64)] {
    if cadre {
        return &[
            ("问卷", 0.40),
            ("座谈会", 0.20),
            ("评议会", 0.20),
            ("访谈", 0.15),
            ("网络", 0.05),
        ];
    }
    match org_type {
        "机关" | "医院" | "社区" => &[
            ("评价器", 0.25),
            ("网络", 0.10),
            ("问卷", 0.25),
            ("座谈会", 0.15),
            ("评议会", 0.15),
            ("访谈", 0.10),
        ],
        "农村" => &[
            ("评议会", 0.30),
            ("座谈会", 0.30),
            ("访谈", 0.15),
            ("问卷", 0.20),
            ("网络", 0.05),
        ],
        _ => &[
            ("问卷", 0.35),
            ("座谈会", 0.25),
            ("评议会", 0.20),
            ("访谈", 0.10),
            ("网络", 0.10),
        ],
    }
}

pub fn date_in(rng: &mut Rng, first: Date, days: i64) -> Date {
    first.add_days(rng.below(days as u64) as i64)
}
