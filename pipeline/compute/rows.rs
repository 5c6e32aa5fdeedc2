//! One period's ratings as the pass's walks read them (`responses.rs`,
//! `clusters.rs`, `integrity::pass`): plain vectors of codes, fingerprints
//! and flags, built straight from each file's columns (`codes.rs`) and
//! appended in file order. Every rating is here, the integrity checks
//! read them all; `rated` marks the ones the rates count (valid, and not
//! left out by `[integrity] exclude_bursts`).
//!
//! Before, each file's rows became a polars frame twice (every rating, and
//! the rated ones), concatenated and collected, then copied back into
//! vectors: 0.15–0.2 s of a 1 s period at ten million ratings.

use anyhow::Result;
use polars::prelude::DataType;

use super::codes::{Dicts, FileColumns};
use super::rates::CUBE_KEYS;

/// The text columns a period's files are read as codes (`period.rs`), one
/// dictionary each: the cube's keys first (`period.rs` reads the first six
/// as the cube's), then what the integrity checks group by
/// (`integrity::pass`), at the indices below.
pub const CODED: [&str; 10] = [
    CUBE_KEYS[0],
    CUBE_KEYS[1],
    CUBE_KEYS[2],
    CUBE_KEYS[3],
    CUBE_KEYS[4],
    CUBE_KEYS[5],
    "rater_key",
    "rated_time",
    "rating",
    "collector",
];
pub const CHANNEL: usize = 4;
pub const RATER_KEY: usize = 6;
pub const TIME: usize = 7;
pub const RATING: usize = 8;
pub const COLLECTOR: usize = 9;

/// A period's rows, column by column.
#[derive(Default)]
pub struct Rows {
    /// The cube's codes: subject, period, category, method, channel, item.
    codes: [Vec<u32>; 6],
    /// The response fingerprint (the stored `response_key`).
    pub r: Vec<u64>,
    /// The rater key's and the collector's codes, None where not given.
    pub k: Vec<Option<u32>>,
    pub co: Vec<Option<u32>>,
    /// The time of day's and the rating label's codes.
    pub tc: Vec<u32>,
    pub g: Vec<u32>,
    /// Days since 1970 of `rated_at`.
    pub d: Vec<Option<i32>>,
    pub valid: Vec<bool>,
    /// Counted in the rates: valid and not excluded.
    pub rated: Vec<bool>,
    /// 1 when satisfied, else 0 (a null as not).
    pub y: Vec<f64>,
}

impl Rows {
    /// One file's rows; `kept` says which the rates may count (None: all).
    pub fn of_file(file: &FileColumns, dicts: &Dicts, kept: Option<&[bool]>) -> Result<Rows> {
        let nullable = |i: usize| {
            let null = dicts.get(i).null_code();
            file.codes[i]
                .iter()
                .map(|&c| (Some(c) != null).then_some(c))
                .collect()
        };
        let flags = |i: usize| -> Result<Vec<bool>> {
            Ok(file.values[i]
                .bool()?
                .iter()
                .map(|v| v == Some(true))
                .collect())
        };
        let valid = flags(0)?;
        let rated = match kept {
            Some(kept) => valid.iter().zip(kept).map(|(v, k)| *v && *k).collect(),
            None => valid.clone(),
        };
        let day = file.values[3].cast(&DataType::Int32)?;
        Ok(Rows {
            codes: std::array::from_fn(|c| file.codes[c].clone()),
            r: file.prints[0].clone(),
            k: nullable(RATER_KEY),
            co: nullable(COLLECTOR),
            tc: file.codes[TIME].clone(),
            g: file.codes[RATING].clone(),
            d: day.i32()?.iter().collect(),
            valid,
            rated,
            y: flags(1)?
                .into_iter()
                .map(|s| f64::from(u8::from(s)))
                .collect(),
        })
    }

    /// `other`'s rows after these.
    pub fn append(&mut self, other: Rows) {
        for (to, from) in self.codes.iter_mut().zip(other.codes) {
            to.extend(from);
        }
        self.r.extend(other.r);
        self.k.extend(other.k);
        self.co.extend(other.co);
        self.tc.extend(other.tc);
        self.g.extend(other.g);
        self.d.extend(other.d);
        self.valid.extend(other.valid);
        self.rated.extend(other.rated);
        self.y.extend(other.y);
    }

    pub fn len(&self) -> usize {
        self.r.len()
    }

    /// Row `i`'s code in column `c` (subject, period, category, method,
    /// channel, item).
    pub fn code(&self, c: usize, i: usize) -> u32 {
        self.codes[c][i]
    }

    pub fn subject(&self, i: usize) -> u32 {
        self.codes[0][i]
    }

    pub fn period(&self, i: usize) -> u32 {
        self.codes[1][i]
    }

    pub fn channel(&self, i: usize) -> u32 {
        self.codes[CHANNEL][i]
    }
}
