//! `pingyi query "SQL"`: ad-hoc SQL over the warehouse tables.

use std::path::Path;

use anyhow::Result;
use clap::Args;

use crate::query::{self, Format};
use crate::warehouse::Warehouse;

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// One SQL statement; tables: ratings, subjects, raters, suggestions,
    /// suggestions_history, quarantine, batches
    pub sql: String,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// With --format csv: start with a byte-order mark so Excel shows Chinese
    #[arg(long)]
    pub bom: bool,
}

pub fn run(args: &QueryArgs, explicit: Option<&Path>) -> Result<()> {
    let loaded = super::load_config(explicit)?;
    let wh = Warehouse::at(&loaded.config.paths.warehouse);
    let mut df = query::run(&wh, &args.sql)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    query::write(&mut df, args.format, args.bom, &mut out)
}
