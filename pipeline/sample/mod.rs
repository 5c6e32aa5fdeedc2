//! The random draw of raters (随机抽查): per village, people of each stratum
//! (seed: 村组干部 : 普通群众 : 先锋户 = 2 : 7 : 1) are drawn by a rule anyone
//! can re-derive with a SHA-256 tool:
//!
//! 1. every eligible person gets the key SHA-256("<seed>:<person_id>") (UTF-8,
//!    lowercase hex);
//! 2. a village's size is split across strata by the configured weights with
//!    largest-remainder rounding (remainder ties go to the stratum listed
//!    first in `[[sampling.strata]]`); with `--total`, the total is first
//!    split across villages in proportion to their eligible people, the same
//!    way (ties to the village first in (township, village) order);
//! 3. in each village and stratum, the people with the smallest keys are
//!    drawn. A stratum with fewer people than planned gives all of them and
//!    a recorded shortfall; nobody is substituted from another stratum.
//!
//! Nothing depends on the roster's row order, hash-map iteration or threads.

pub mod output;
pub mod roster;
pub mod targets;

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::Stratum;
use crate::stats::largest_remainder;
use roster::Person;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    PerVillage(u64),
    Total(u64),
    /// As many per village as the targets file's people-needed column asks
    /// (`Targets::needs`); the number is the total that came to.
    Targets(u64),
}

/// One person drawn, with the key and place that put them on the list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Drawn {
    pub township: String,
    pub village: String,
    pub category: String,
    /// 1 for the smallest key in the village's stratum.
    pub place: u64,
    pub person_id: String,
    pub key: String,
}

/// A village's plan and result, per stratum in the configured order.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Village {
    pub township: String,
    pub village: String,
    pub eligible: Vec<u64>,
    pub planned: Vec<u64>,
    pub drawn: Vec<u64>,
    pub shortfall: Vec<u64>,
}

#[derive(Debug)]
pub struct Draw {
    pub list: Vec<Drawn>,
    pub villages: Vec<Village>,
}

pub fn key(seed: u64, person_id: &str) -> String {
    crate::fsutil::hex(&Sha256::digest(format!("{seed}:{person_id}").as_bytes()))
}

/// Per village of `pools`, the people a targets file asks for: the village's
/// own need, or its share of its township's need (split over the
/// township's villages by their eligible people, largest remainder),
/// whichever is more: one visit asks a person about every targeted subject.
fn targeted_sizes(pools: &[((String, String), u64)], needs: &[targets::Need]) -> Vec<u64> {
    let own = |t: &str, v: &str| {
        needs
            .iter()
            .find(|n| n.township == t && n.village == v)
            .map_or(0, |n| n.people)
    };
    let mut sizes: Vec<u64> = pools.iter().map(|((t, v), _)| own(t, v)).collect();
    for need in needs.iter().filter(|n| n.village.is_empty()) {
        let members: Vec<usize> = (0..pools.len())
            .filter(|&i| pools[i].0 .0 == need.township)
            .collect();
        let eligible: Vec<u64> = members.iter().map(|&i| pools[i].1).collect();
        for (&i, share) in members
            .iter()
            .zip(largest_remainder(need.people, &eligible))
        {
            sizes[i] = sizes[i].max(share);
        }
    }
    sizes
}

pub fn draw(
    people: &[Person],
    strata: &[Stratum],
    seed: u64,
    size: Size,
    needs: &[targets::Need],
) -> Draw {
    // (township, village) → per stratum, (key, person id), sorted by key.
    type Pool = Vec<Vec<(String, String)>>;
    let mut pools: BTreeMap<(String, String), Pool> = BTreeMap::new();
    for p in people {
        let pool = pools
            .entry((p.township.clone(), p.village.clone()))
            .or_insert_with(|| vec![Vec::new(); strata.len()]);
        if let Some(s) = strata.iter().position(|s| s.category == p.category) {
            pool[s].push((key(seed, &p.id), p.id.clone()));
        }
    }
    // Villages with nobody in any stratum take no part in the allocation.
    pools.retain(|_, pool| pool.iter().any(|s| !s.is_empty()));
    let weights: Vec<u64> = strata.iter().map(|s| u64::from(s.weight)).collect();
    let per_village: Vec<u64> = match size {
        Size::PerVillage(n) => vec![n; pools.len()],
        Size::Total(n) => {
            let eligible: Vec<u64> = pools
                .values()
                .map(|p| p.iter().map(|s| s.len() as u64).sum())
                .collect();
            largest_remainder(n, &eligible)
        }
        Size::Targets(_) => {
            let eligible: Vec<((String, String), u64)> = pools
                .iter()
                .map(|(k, p)| (k.clone(), p.iter().map(|s| s.len() as u64).sum()))
                .collect();
            targeted_sizes(&eligible, needs)
        }
    };
    let mut out = Draw {
        list: Vec::new(),
        villages: Vec::new(),
    };
    for (((township, village), mut pool), n) in pools.into_iter().zip(per_village) {
        let planned = largest_remainder(n, &weights);
        let mut v = Village {
            township: township.clone(),
            village: village.clone(),
            eligible: pool.iter().map(|s| s.len() as u64).collect(),
            planned: planned.clone(),
            drawn: Vec::new(),
            shortfall: Vec::new(),
        };
        for ((stratum, people), want) in strata.iter().zip(pool.iter_mut()).zip(planned) {
            people.sort();
            let take = want.min(people.len() as u64);
            v.drawn.push(take);
            v.shortfall.push(want - take);
            for (place, (key, id)) in people.iter().take(take as usize).enumerate() {
                out.list.push(Drawn {
                    township: township.clone(),
                    village: village.clone(),
                    category: stratum.category.clone(),
                    place: place as u64 + 1,
                    person_id: id.clone(),
                    key: key.clone(),
                });
            }
        }
        out.villages.push(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, village: &str, category: &str) -> Person {
        Person {
            id: id.into(),
            township: "中枢镇".into(),
            village: village.into(),
            category: category.into(),
        }
    }

    fn strata() -> Vec<Stratum> {
        [("村组干部", 2), ("普通群众", 7), ("先锋户", 1)]
            .into_iter()
            .map(|(c, w)| Stratum {
                category: c.into(),
                weight: w,
            })
            .collect()
    }

    #[test]
    fn the_key_is_sha256_of_seed_colon_id() {
        // printf '7:R000001' | sha256sum
        assert_eq!(
            key(7, "R000001"),
            "a83003e117a5bc2fc3a14bb9cdb8a4e966399f773ac462648929048cbe2fe85c"
        );
    }

    #[test]
    fn ratio_order_independence_and_shortfall() {
        let mut people: Vec<Person> = (0..30)
            .map(|i| person(&format!("A{i:02}"), "甲村", "普通群众"))
            .collect();
        people.extend((0..5).map(|i| person(&format!("C{i}"), "甲村", "村组干部")));
        people.push(person("P0", "甲村", "先锋户"));
        people.push(person("X0", "甲村", "老党员"));
        let d = draw(&people, &strata(), 42, Size::PerVillage(20), &[]);
        let v = &d.villages[0];
        assert_eq!(v.planned, [4, 14, 2]);
        assert_eq!(v.drawn, [4, 14, 1]);
        assert_eq!(v.shortfall, [0, 0, 1]);
        assert_eq!(d.list.len(), 19);
        people.reverse();
        assert_eq!(
            draw(&people, &strata(), 42, Size::PerVillage(20), &[]).list,
            d.list
        );
        assert_ne!(
            draw(&people, &strata(), 43, Size::PerVillage(20), &[]).list,
            d.list
        );
    }
}
