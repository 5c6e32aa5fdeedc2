//! What the period pass needs to know beyond the ratings (`Lookup`): each
//! subject's roster attributes, each (org type, rater category)'s quota
//! group and share, and the integrity checks' limits, read once from the
//! configuration and the roster; and a subject attribute as codes over a
//! period's subject dictionary (`attribute_codes`).

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::DataFrame;

use super::codes::Dicts;
use crate::config::Config;

/// What the pass needs beyond the ratings: each subject's attributes (the
/// group levels) and each (org type, rater category)'s quota group.
#[derive(Default)]
pub struct Lookup {
    pub(super) subjects: HashMap<String, [Option<String>; 5]>,
    pub(super) quotas: HashMap<(String, String), (String, f64)>,
    /// `integrity.max_forms_per_key`, for the stuffing check's cells.
    pub max_forms_per_key: u32,
    /// `integrity.max_subjects_per_key_day`, for the busy-key check's days.
    pub max_subjects_per_key_day: u32,
    /// The scale's top label and `integrity.straight_min_items`, for the
    /// straight-lining counts.
    pub top_label: String,
    pub straight_min_items: u32,
}

/// The subject attributes the levels group by, in `Lookup::subjects` order;
/// `kind` (required in the roster) for `method_cells`.
const ATTRIBUTES: [&str; 5] = [
    "township",
    "village",
    "org_type",
    "pioneer_category",
    "kind",
];

impl Lookup {
    pub fn new(cfg: &Config, subjects: &DataFrame) -> Result<Lookup> {
        let ids = subjects.column("subject_id")?.str()?;
        let attrs = ATTRIBUTES
            .iter()
            .map(|a| Ok(subjects.column(a)?.str()?.clone()))
            .collect::<Result<Vec<_>>>()?;
        let mut by_id = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            if let Some(id) = id {
                let row = [0, 1, 2, 3, 4].map(|a| attrs[a].get(i).map(String::from));
                by_id.insert(id.to_string(), row);
            }
        }
        let quotas = cfg
            .quota_rows()
            .map(|(o, c, g, share, _)| ((o.to_string(), c.to_string()), (g.to_string(), share)))
            .collect();
        Ok(Lookup {
            subjects: by_id,
            quotas,
            max_forms_per_key: cfg.integrity.max_forms_per_key,
            max_subjects_per_key_day: cfg.integrity.max_subjects_per_key_day,
            top_label: cfg.top_label(),
            straight_min_items: cfg.integrity.straight_min_items,
        })
    }
}

/// Attribute `attr` of each subject code (`ATTRIBUTES`), as codes into the
/// distinct texts (None: not in the roster or not given).
pub(super) fn attribute_codes(
    dicts: &Dicts,
    lookup: &Lookup,
    attr: &str,
) -> (Vec<u32>, Vec<Option<String>>) {
    let a = ATTRIBUTES
        .iter()
        .position(|x| *x == attr)
        .expect("a subject attribute");
    let subjects = dicts.get(0);
    let mut texts: Vec<Option<String>> = Vec::new();
    let mut index: HashMap<Option<String>, u32> = HashMap::new();
    let codes = (0..subjects.len() as u32)
        .map(|s| {
            let text = subjects
                .text(s)
                .and_then(|id| lookup.subjects.get(id))
                .and_then(|row| row[a].clone());
            *index.entry(text.clone()).or_insert_with(|| {
                texts.push(text);
                texts.len() as u32 - 1
            })
        })
        .collect();
    (codes, texts)
}
