//! What one entry of the metrics registry (`tables.rs`) is: the declared
//! table, the inputs its builder reads by name, and the builder; what a
//! builder is given (`Inputs`: only the inputs its entry declares) and what
//! it hands back (`Plan`). A leaf, so a metric's entry can live beside its
//! builder (`groups.rs`, `method_rates.rs`) without a loop through the list.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use polars::prelude::{DataFrame, IntoLazy, LazyFrame};

use crate::config::Config;
use crate::dates::Date;
use crate::warehouse::schema::{Column, Table};

/// What a builder hands back: a polars plan over its inputs, or a frame built
/// in Rust. A plan is larger than a frame (368 bytes against 48), but there
/// is one per metric table, moved a few times: boxing it would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Plan {
    Lazy(LazyFrame),
    Frame(DataFrame),
}

/// An input as the builders see it: a scan of a warehouse table, or a frame
/// computed earlier (a shared aggregate or another metric table). Not
/// boxed, as `Plan`: a handful per table.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Input {
    Scan(LazyFrame),
    Frame(DataFrame),
}

/// The inputs of one builder: only those its entry declares, by name, so an
/// undeclared dependency fails at once instead of reading a table not yet
/// computed.
pub struct Inputs<'a> {
    pub cfg: &'a Config,
    pub as_of: Date,
    pub metric: &'static str,
    pub declared: &'static [&'static str],
    pub ready: &'a BTreeMap<&'static str, Input>,
}

impl Inputs<'_> {
    fn get(&self, name: &str) -> Result<&Input> {
        if !self.declared.contains(&name) {
            bail!(
                "the builder of `{}` reads `{name}`, which its registry entry does not list as an input",
                self.metric
            );
        }
        match self.ready.get(name) {
            Some(input) => Ok(input),
            None => bail!("`{name}` is not ready for `{}`", self.metric),
        }
    }

    /// An input as a lazy plan.
    pub fn lazy(&self, name: &str) -> Result<LazyFrame> {
        Ok(match self.get(name)? {
            Input::Scan(lf) => lf.clone(),
            Input::Frame(df) => df.clone().lazy(),
        })
    }

    /// An input computed earlier, as its frame.
    pub fn frame(&self, name: &str) -> Result<&DataFrame> {
        match self.get(name)? {
            Input::Frame(df) => Ok(df),
            Input::Scan(_) => bail!("`{name}` is a scan, not a computed frame"),
        }
    }
}

/// One metric table.
pub struct Metric {
    pub table: Table,
    /// Warehouse tables, shared aggregates (`SHARED`) or other metric tables.
    pub inputs: &'static [&'static str],
    pub build: fn(&Inputs) -> Result<Plan>,
}

pub fn metric(
    name: &'static str,
    grain: &'static str,
    about: &'static str,
    inputs: &'static [&'static str],
    build: fn(&Inputs) -> Result<Plan>,
    columns: Vec<Column>,
) -> Metric {
    Metric {
        table: Table {
            name,
            grain,
            about,
            columns,
        },
        inputs,
        build,
    }
}
