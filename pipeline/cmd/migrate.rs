//! `pingyi migrate`: brings the warehouse up to the format this pingyi
//! writes (`warehouse::migrate`), under the warehouse lock.

use std::path::Path;

use anyhow::Result;
use clap::Args;

use crate::warehouse::{migrate, Warehouse};

#[derive(Debug, Args)]
pub struct MigrateArgs {}

pub fn run(_args: &MigrateArgs, explicit: Option<&Path>) -> Result<()> {
    let loaded = super::load_config(explicit)?;
    let root = &loaded.config.paths.warehouse;
    if !root.join(crate::warehouse::MANIFEST).is_file() {
        println!("no warehouse at {}: nothing to migrate", root.display());
        return Ok(());
    }
    let wh = Warehouse::at(root);
    let _lock = crate::lock::Lock::acquire(&wh.root)?;
    match migrate::migrate(&wh)? {
        None => println!(
            "the warehouse {} is already format {}: nothing to do",
            root.display(),
            crate::warehouse::FORMAT
        ),
        Some(done) => println!(
            "migrated the warehouse {} from format {} to {}: {} ratings files ({} rows) \
             rewritten with response_key; the next compute rebuilds the metrics",
            root.display(),
            done.from,
            done.to,
            done.files,
            done.rows
        ),
    }
    Ok(())
}
