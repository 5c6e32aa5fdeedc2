//! The distinct counts the cube cannot give, from 64-bit fingerprints read
//! one warehouse file at a time:
//!
//! - distinct responses per subject × period × rater category (a form rates
//!   several items, so the cube's cells split it): the public report's
//!   minimum cell and the unit card's raters;
//! - distinct rater keys over every period (`people_identified`).
//!
//! Both were polars group-bys over the text keys (`n_unique(response_id)`,
//! `unique()` of the rater keys), the largest part of compute's time and,
//! at 100 M ratings, its peak: ~1.1 GB above the base for each 12.5 M-rating
//! period while the hash sets of strings were built (BENCHMARKS.md). Here a
//! file's rows become fingerprints, sorted and made distinct per file, then
//! per period: memory is one file's key columns per thread plus 8 bytes per
//! distinct response of the period and per person of the batch.
//!
//! Two different keys share a fingerprint with probability about n²/2⁶⁵
//! (under one in a million at five million people); a collision would count
//! one response or person fewer, never more. A null counts as one value, as
//! polars' `n_unique` counts it.

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::{col, DataFrame, IntoColumn, NamedFrom, Series, StringChunked};
use rayon::prelude::*;

use crate::warehouse::{Manifest, Warehouse};

/// Our own keys, not an attacker's: the fast hasher (SipHash was 3 % of compute).
type Fast = foldhash::fast::RandomState;

/// A subject × period × rater category.
type Group = (Option<String>, Option<String>, Option<String>);
/// The same, borrowed from a file's columns.
type GroupRef<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// The fingerprint of a null response id.
const NULL_RESPONSE: u64 = 0;

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

/// One file's fingerprints, each list sorted and distinct.
struct FileKeys {
    responses: Vec<(Group, Vec<u64>)>,
    people: Vec<u64>,
    any_null_rater: bool,
}

impl Distinct {
    /// Counts one period partition from its files. A response has one
    /// period, so a period's counts are final when its files are read.
    pub fn add_period(
        &mut self,
        wh: &Warehouse,
        manifest: &Manifest,
        files: &[&String],
    ) -> Result<()> {
        let read: Vec<FileKeys> = files
            .par_iter()
            .map(|f| file_keys(wh, manifest, f))
            .collect::<Result<_>>()?;
        let mut groups: HashMap<Group, Vec<u64>, Fast> = HashMap::default();
        for file in read {
            for (group, keys) in file.responses {
                groups.entry(group).or_default().extend(keys);
            }
            self.people.extend(file.people);
            self.any_null_rater |= file.any_null_rater;
        }
        // Only distinct fingerprints are kept between periods.
        self.people.sort_unstable();
        self.people.dedup();
        let mut groups: Vec<(Group, Vec<u64>)> = groups.into_iter().collect();
        groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for ((subject, period, category), mut keys) in groups {
            keys.sort_unstable();
            keys.dedup();
            self.subject.push(subject);
            self.period.push(period);
            self.category.push(category);
            self.raters.push(keys.len() as u32);
        }
        Ok(())
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

/// One file's response fingerprints by group and rater fingerprints.
fn file_keys(wh: &Warehouse, manifest: &Manifest, file: &String) -> Result<FileKeys> {
    let df = wh
        .scan_file(manifest, "ratings", file)?
        .select([
            col("subject_id"),
            col("period"),
            col("rater_category"),
            col("response_id"),
            col("rater_key"),
        ])
        .collect()?;
    let text = |name: &str| -> Result<&StringChunked> { Ok(df.column(name)?.str()?) };
    let (subject, period, category) = (
        text("subject_id")?,
        text("period")?,
        text("rater_category")?,
    );
    let mut index: HashMap<GroupRef, usize, Fast> = HashMap::default();
    let mut responses: Vec<Vec<u64>> = Vec::new();
    // A form's rows are consecutive and share their group: the lookup is
    // skipped while the group stays the same.
    let mut last = None;
    let groups = subject.iter().zip(period.iter()).zip(category.iter());
    let groups = groups.map(|((s, p), c)| (s, p, c));
    // A form's rows also share their response id and rater: a value equal
    // to the row before is the same key, so it is hashed and sorted once.
    let mut last_response = None;
    for (group, response) in groups.zip(text("response_id")?.iter()) {
        let at = match last {
            Some((g, at)) if g == group => {
                if last_response == Some(response) {
                    continue;
                }
                at
            }
            _ => {
                let next = responses.len();
                let at = *index.entry(group).or_insert(next);
                if at == next {
                    responses.push(Vec::new());
                }
                last = Some((group, at));
                at
            }
        };
        last_response = Some(response);
        responses[at]
            .push(response.map_or(NULL_RESPONSE, |r| xxhash_rust::xxh3::xxh3_64(r.as_bytes())));
    }
    let mut people = Vec::new();
    let mut any_null_rater = false;
    let mut last_key = None;
    for key in text("rater_key")?.iter() {
        if last_key == Some(key) {
            continue;
        }
        last_key = Some(key);
        match key {
            Some(k) => people.push(xxhash_rust::xxh3::xxh3_64(k.as_bytes())),
            None => any_null_rater = true,
        }
    }
    people.sort_unstable();
    people.dedup();
    let owned = |s: Option<&str>| s.map(String::from);
    let mut groups: Vec<(GroupRef, usize)> = index.into_iter().collect();
    groups.sort_unstable_by_key(|g| g.1);
    let responses = groups
        .into_iter()
        .zip(responses)
        .map(|(((s, p, c), _), mut keys)| {
            keys.sort_unstable();
            keys.dedup();
            ((owned(s), owned(p), owned(c)), keys)
        })
        .collect();
    Ok(FileKeys {
        responses,
        people,
        any_null_rater,
    })
}
