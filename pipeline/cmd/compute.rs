//! `pingyi compute [--as-of DATE]`: metrics tables from the warehouse.

use std::path::Path;

use anyhow::{Context, Result};
use clap::Args;

use crate::compute;
use crate::dates::Date;
use crate::warehouse::Warehouse;

#[derive(Debug, Args)]
pub struct ComputeArgs {
    /// The date the metrics are as of (YYYY-MM-DD; default: report.as_of, else today)
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

/// `--as-of`, else the configured as-of date, else today (UTC).
pub fn as_of(flag: Option<&str>, configured: &str) -> Result<Date> {
    let text = flag
        .map(str::to_string)
        .or_else(|| (!configured.is_empty()).then(|| configured.to_string()));
    match text {
        Some(t) => crate::dates::parse_loose(&t)
            .with_context(|| format!("--as-of `{t}` is not a date; write YYYY-MM-DD")),
        None => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            Ok(Date::from_days((secs / 86_400) as i64))
        }
    }
}

pub fn run(args: &ComputeArgs, explicit: Option<&Path>) -> Result<()> {
    let loaded = super::load_config(explicit)?;
    let cfg = &loaded.config;
    let as_of = as_of(args.as_of.as_deref(), &cfg.report.as_of)?;
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
