//! The distinct counts the cube cannot give, from 64-bit fingerprints:
//!
//! - distinct responses per subject × period × rater category (a form rates
//!   several items, so the cube's cells split it): the public report's
//!   minimum cell and the unit card's raters;
//! - distinct rater keys over every period (`people_identified`).
//!
//! Both were polars group-bys over the text keys (`n_unique(response_id)`,
//! `unique()` of the rater keys), the largest part of compute's time and,
//! at 100 M ratings, its peak: ~1.1 GB above the base for each 12.5 M-rating
//! period while the hash sets of strings were built (BENCHMARKS.md). Here
//! each file of a period arrives from the one pass over it (`period.rs`) as
//! group codes and fingerprints, each id hashed once per dictionary entry
//! (`codes.rs`); they are sorted and made distinct per file, then per
//! period: memory is 8 bytes per distinct response of the period and per
//! person of the batch, beside the period's codes.
//!
//! Two different keys share a fingerprint with probability about n²/2⁶⁵
//! (under one in a million at five million people); a collision would count
//! one response or person fewer, never more. A null counts as one value, as
//! polars' `n_unique` counts it.

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::{DataFrame, IntoColumn, NamedFrom, Series};

use super::codes::{Dict, Dicts, FileColumns, NULL_PRINT};

/// Our own keys, not an attacker's: the fast hasher (SipHash was 3 % of compute).
type Fast = foldhash::fast::RandomState;

/// A subject × period × rater category.
type Group = (Option<String>, Option<String>, Option<String>);

/// Distinct responses by group, period by period, and the people of every
/// period so far.
#[derive(Default)]
pub struct Distinct {
    subject: Vec<Option<String>>,
    period: Vec<Option<String>>,
    category: Vec<Option<String>>,
    raters: Vec<u32>,
    people: Vec<u64>,
    any_null_rater: bool,
}

/// A subject × period × rater category as codes into the pass's dictionaries.
type GroupCodes = (u32, u32, u32);

/// One file's fingerprints, each list sorted and distinct.
pub struct FileKeys {
    responses: Vec<(GroupCodes, Vec<u64>)>,
    people: Vec<u64>,
    any_null_rater: bool,
}

impl Distinct {
    /// Counts one period partition from its files' fingerprints. A response
    /// has one period, so a period's counts are final when its files are read.
    pub fn add_period(&mut self, read: Vec<FileKeys>, dicts: &Dicts) {
        let mut by_codes: HashMap<GroupCodes, Vec<u64>, Fast> = HashMap::default();
        for file in read {
            for (group, keys) in file.responses {
                by_codes.entry(group).or_default().extend(keys);
            }
            self.people.extend(file.people);
            self.any_null_rater |= file.any_null_rater;
        }
        let [s, p, c] = [dicts.get(0), dicts.get(1), dicts.get(2)];
        let owned = |d: &Dict, code: u32| d.text(code).map(String::from);
        let groups = by_codes
            .into_iter()
            .map(|((subject, period, category), keys)| {
                let group = (owned(&s, subject), owned(&p, period), owned(&c, category));
                (group, keys)
            });
        // Only distinct fingerprints are kept between periods.
        self.people.sort_unstable();
        self.people.dedup();
        let mut groups: Vec<(Group, Vec<u64>)> = groups.collect();
        groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for ((subject, period, category), mut keys) in groups {
            keys.sort_unstable();
            keys.dedup();
            self.subject.push(subject);
            self.period.push(period);
            self.category.push(category);
            self.raters.push(keys.len() as u32);
        }
    }

    /// Distinct responses (filled forms, device votes) per subject, period
    /// and rater category: the number of raters a figure rests on, which
    /// disclosure control needs (`valid` counts ratings, several per form
    /// when a form rates several items). A response has one period and one
    /// rater category, so sums over either stay distinct.
    pub fn raters_by_category(&mut self) -> Result<DataFrame> {
        let columns = vec![
            Series::new("subject_id".into(), std::mem::take(&mut self.subject)).into_column(),
            Series::new("period".into(), std::mem::take(&mut self.period)).into_column(),
            Series::new("rater_category".into(), std::mem::take(&mut self.category)).into_column(),
            Series::new("raters".into(), std::mem::take(&mut self.raters)).into_column(),
        ];
        Ok(DataFrame::new_infer_height(columns)?)
    }

    /// Distinct rater keys over every period added.
    pub fn people(&self) -> Result<DataFrame> {
        let n = self.people.len() as u32 + u32::from(self.any_null_rater);
        Ok(DataFrame::new_infer_height(vec![Series::new(
            "people_identified".into(),
            [n],
        )
        .into()])?)
    }
}

/// One file's response fingerprints by group and rater fingerprints, from
/// its columns as codes and fingerprints (`period.rs`: the groups' three
/// columns first among the codes; the response id, then the rater key,
/// among the fingerprints). A null rater key has the fingerprint
/// `NULL_PRINT`: a real key hashing to it (probability 2⁻⁶⁴) would count
/// with the nulls, one person fewer, never more.
pub fn file_keys(cols: &FileColumns) -> FileKeys {
    let [subject, period, category] = [&cols.codes[0], &cols.codes[1], &cols.codes[2]];
    let (response, rater) = (&cols.prints[0], &cols.prints[1]);
    let mut index: HashMap<GroupCodes, usize, Fast> = HashMap::default();
    let mut responses: Vec<Vec<u64>> = Vec::new();
    // A form's rows are consecutive and share their group and response
    // id: the lookup and the push are skipped while they stay the same.
    let mut last: Option<(GroupCodes, u64)> = None;
    for i in 0..cols.rows {
        let group = (subject[i], period[i], category[i]);
        let r = response[i];
        if last == Some((group, r)) {
            continue;
        }
        last = Some((group, r));
        let next = responses.len();
        let at = *index.entry(group).or_insert(next);
        if at == next {
            responses.push(Vec::new());
        }
        responses[at].push(r);
    }
    let mut people = Vec::new();
    let mut any_null_rater = false;
    let mut last_key = None;
    for &fp in rater {
        if last_key == Some(fp) {
            continue;
        }
        last_key = Some(fp);
        if fp == NULL_PRINT {
            any_null_rater = true;
        } else {
            people.push(fp);
        }
    }
    people.sort_unstable();
    people.dedup();
    let mut groups: Vec<(GroupCodes, usize)> = index.into_iter().collect();
    groups.sort_unstable_by_key(|g| g.1);
    let responses = groups
        .into_iter()
        .zip(responses)
        .map(|((group, _), mut keys)| {
            keys.sort_unstable();
            keys.dedup();
            (group, keys)
        })
        .collect();
    FileKeys {
        responses,
        people,
        any_null_rater,
    }
}
