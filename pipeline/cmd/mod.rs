//! One module per subcommand. Each exposes its clap arguments and a `run`.

pub mod cases;
pub mod compute;
pub mod config;
pub mod forms;
pub mod generate;
pub mod ingest;
pub mod ledger;
pub mod migrate;
pub mod query;
pub mod report;
pub mod run;
pub mod sample;
pub mod status;
pub mod tables;

use std::path::Path;

use anyhow::Result;

use crate::config::{discover, Loaded};

/// The effective configuration for a command: `--config`, else ./pingyi.toml, else defaults.
pub fn load_config(explicit: Option<&Path>) -> Result<Loaded> {
    let cwd = std::env::current_dir()?;
    Ok(discover(explicit, &cwd)?)
}
