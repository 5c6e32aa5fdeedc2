//! `pingyi compute [--as-of DATE]`: metrics tables from the warehouse.

use std::path::Path;

use anyhow::Result;
use clap::Args;

use crate::compute;
use crate::warehouse::Warehouse;

#[derive(Debug, Args)]
pub struct ComputeArgs {
    /// The date the metrics are as of (YYYY-MM-DD; default: report.as_of, else today)
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

pub fn run(args: &ComputeArgs, explicit: Option<&Path>) -> Result<()> {
    let loaded = super::load_config(explicit)?;
    let cfg = &loaded.config;
    let as_of = crate::dates::as_of(args.as_of.as_deref(), &cfg.report.as_of)?;
    let wh = Warehouse::open(&cfg.paths.warehouse)?;
    let _lock = crate::lock::Lock::acquire(&wh.root)?;
    let summary = compute::run(cfg, &wh, as_of)?;
    for (table, rows) in &summary.tables {
        println!("{rows:>9}  {table}");
    }
    println!(
        "metrics as of {} committed to {}",
        summary.as_of,
        cfg.paths.warehouse.display()
    );
    Ok(())
}
