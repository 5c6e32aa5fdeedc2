//! Ratings the configuration leaves out of the rates: with
//! `integrity.exclude_bursts` on, the votes of flagged device bursts
//! (`integrity::device_burst_votes`). They stay in the warehouse and in the
//! integrity table; only the period aggregates every rate is built from
//! (cube, cluster sums, distinct counts) skip them, as each ratings file
//! is read (`period.rs`). The leadership report says how many.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use polars::prelude::{BooleanChunked, DataFrame, LazyFrame, NewChunkedArray};

use super::codes::{self, Dicts, FileColumns};
use crate::config::Config;

/// (response_id, subject_id) pairs to skip, by the response id's fingerprint.
#[derive(Default)]
pub struct Excluded {
    by_print: HashMap<u64, HashSet<String>>,
}

impl Excluded {
    /// Nothing excluded unless the configuration asks for it.
    pub fn new(cfg: &Config, ratings: LazyFrame) -> Result<Excluded> {
        if !cfg.integrity.exclude_bursts {
            return Ok(Excluded::default());
        }
        let votes = super::integrity::device_burst_votes(cfg, ratings).collect()?;
        Excluded::from_frame(&votes)
    }

    fn from_frame(votes: &DataFrame) -> Result<Excluded> {
        let mut by_print: HashMap<u64, HashSet<String>> = HashMap::new();
        let responses = votes.column("response_id")?.str()?.clone();
        let subjects = votes.column("subject_id")?.str()?.clone();
        for (r, s) in responses.iter().zip(subjects.iter()) {
            if let (Some(r), Some(s)) = (r, s) {
                by_print
                    .entry(codes::print(Some(r)))
                    .or_default()
                    .insert(s.to_string());
            }
        }
        Ok(Excluded { by_print })
    }

    pub fn is_empty(&self) -> bool {
        self.by_print.is_empty()
    }

    /// Which rows of one file the rates may count (prints[0] is the
    /// response id, codes[0] the subject: `period.rs`); None when all.
    pub fn keep(&self, cols: &FileColumns, dicts: &Dicts) -> Option<Vec<bool>> {
        if self.is_empty() {
            return None;
        }
        let keep: Vec<bool> = {
            let subjects = dicts.get(0);
            (0..cols.rows)
                .map(|i| match self.by_print.get(&cols.prints[0][i]) {
                    None => true,
                    Some(set) => !subjects
                        .text(cols.codes[0][i])
                        .is_some_and(|s| set.contains(s)),
                })
                .collect()
        };
        (!keep.iter().all(|k| *k)).then_some(keep)
    }

    /// Drops the rows `keep` leaves out from one file's columns (the cube
    /// and the distinct counts read them).
    pub fn apply(cols: &mut FileColumns, keep: &[bool]) -> Result<()> {
        let retain = |v: &mut Vec<u32>| {
            let mut it = keep.iter();
            v.retain(|_| *it.next().expect("one flag a row"));
        };
        cols.codes.iter_mut().for_each(retain);
        for p in cols.prints.iter_mut() {
            let mut it = keep.iter();
            p.retain(|_| *it.next().expect("one flag a row"));
        }
        let mask = BooleanChunked::from_slice("keep".into(), keep);
        for v in cols.values.iter_mut() {
            *v = v.filter(&mask)?;
        }
        cols.rows = keep.iter().filter(|k| **k).count();
        Ok(())
    }
}
