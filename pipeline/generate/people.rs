//! The rater roster (参评人员名册): people of every village by category, from
//! which the random draw is taken and the households linked to cadres
//! (挂钩结对) are chosen.

use super::county::County;
use crate::config::Config;
use crate::rng::Rng;

#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub village: usize,
    pub township: usize,
    pub category: usize,
}

#[derive(Debug, Clone)]
pub struct Roster {
    pub people: Vec<Person>,
    /// people indices by [village][category]
    pub by_village: Vec<Vec<Vec<usize>>>,
    /// people indices by [township][category]
    pub by_township: Vec<Vec<Vec<usize>>>,
}

/// How many people of a category a village's roster holds (min, max).
fn per_village(category: &str) -> (u64, u64) {
    match category {
        "村组干部" => (8, 14),
        "普通群众" => (75, 115),
        "先锋户" => (8, 14),
        "老党员" => (3, 8),
        "致富带头人" => (2, 5),
        "企业代表" => (0, 3),
        "两代表一委员" | "离退休老干部" => (1, 3),
        // Service clients are whoever walks in; no village keeps a register of them.
        "服务对象" => (0, 0),
        _ => (1, 3),
    }
}

pub fn build(cfg: &Config, county: &County, seed: u64) -> Roster {
    let mut rng = Rng::derive(seed, &[3]);
    let cats = cfg.rater_categories.len();
    let mut people = Vec::new();
    let mut by_village = vec![vec![Vec::new(); cats]; county.villages.len()];
    let mut by_township = vec![vec![Vec::new(); cats]; county.townships.len()];
    for (v, village) in county.villages.iter().enumerate() {
        for (c, cat) in cfg.rater_categories.iter().enumerate() {
            let (lo, hi) = per_village(&cat.name);
            for _ in 0..rng.range(lo, hi) {
                let idx = people.len();
                people.push(Person {
                    id: format!("R{:06}", idx + 1),
                    village: v,
                    township: village.township,
                    category: c,
                });
                by_village[v][c].push(idx);
                by_township[village.township][c].push(idx);
            }
        }
    }
    Roster {
        people,
        by_village,
        by_township,
    }
}

impl Roster {
    /// A person of `category` from `township` (any township when it has none),
    /// or None when the roster has no one of that category at all.
    pub fn any_of(&self, rng: &mut Rng, township: usize, category: usize) -> Option<usize> {
        let local = &self.by_township[township][category];
        if !local.is_empty() {
            return Some(*rng.pick(local));
        }
        let all: Vec<usize> = self
            .by_township
            .iter()
            .flat_map(|t| t[category].iter().copied())
            .collect();
        (!all.is_empty()).then(|| *rng.pick(&all))
    }
}
