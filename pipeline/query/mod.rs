//! SQL over the warehouse: every table registered as a lazy scan of its
//! committed files, so a query reads only the columns it names.

pub mod named;
mod output;

use anyhow::Result;
use polars::prelude::*;
use polars::sql::SQLContext;

pub use output::{write, Format};

use crate::warehouse::{Manifest, Warehouse, TABLES};

/// A SQL context with the warehouse tables and `batches` registered.
pub fn context(wh: &Warehouse, manifest: &Manifest) -> Result<SQLContext> {
    let ctx = SQLContext::new();
    for t in TABLES {
        ctx.register(t, wh.scan(manifest, t)?);
    }
    // Metrics tables exist once `pingyi compute` has run.
    for t in crate::compute::METRICS
        .into_iter()
        .filter(|t| manifest.tables.contains_key(*t))
    {
        ctx.register(t, wh.scan(manifest, t)?);
    }
    ctx.register("batches", batches(manifest)?.lazy());
    ctx.register("runs", crate::run::record::table(&wh.root)?.lazy());
    Ok(ctx)
}

/// One row per input file of every committed batch.
pub fn batches(m: &Manifest) -> Result<DataFrame> {
    let rows: Vec<(
        &crate::warehouse::BatchRecord,
        &crate::warehouse::FileRecord,
    )> = m
        .batches
        .iter()
        .flat_map(|b| b.files.iter().map(move |f| (b, f)))
        .collect();
    let s = |name: &str,
             f: &dyn Fn(
        &(
            &crate::warehouse::BatchRecord,
            &crate::warehouse::FileRecord,
        ),
    ) -> String|
     -> Column {
        Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into()
    };
    let n = |name: &str,
             f: &dyn Fn(
        &(
            &crate::warehouse::BatchRecord,
            &crate::warehouse::FileRecord,
        ),
    ) -> u64|
     -> Column {
        Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into()
    };
    Ok(DataFrame::new_infer_height(vec![
        Series::new(
            "batch_id".into(),
            rows.iter().map(|r| r.0.id).collect::<Vec<_>>(),
        )
        .into(),
        s("committed_at", &|r| r.0.committed_at.clone()),
        s("file", &|r| r.1.path.clone()),
        s("sha256", &|r| r.1.sha256.clone()),
        s("kind", &|r| r.1.kind.clone().unwrap_or_default()),
        s("status", &|r| format!("{:?}", r.1.status).to_lowercase()),
        n("rows", &|r| r.1.rows),
        n("accepted", &|r| r.1.accepted),
        n("quarantined", &|r| r.1.quarantined),
        s("quarantined_by_reason", &|r| {
            serde_json::to_string(&r.1.quarantined_by_reason).unwrap_or_default()
        }),
        s("message", &|r| r.1.message.clone()),
    ])?)
}

/// Runs one statement and returns its result.
pub fn run(wh: &Warehouse, sql: &str) -> Result<DataFrame> {
    let manifest = wh.manifest()?;
    let mut ctx = context(wh, &manifest)?;
    let names: Vec<String> = ctx.get_tables();
    let lf = ctx.execute(sql).map_err(|e| explain(e, &names))?;
    Ok(lf.collect()?)
}

fn explain(e: PolarsError, tables: &[String]) -> anyhow::Error {
    let msg = e.to_string();
    if msg.contains("not found")
        && (msg.contains("relation") || msg.to_lowercase().contains("table"))
    {
        anyhow::anyhow!(
            "{msg}\nknown tables: {} (metrics tables appear after `pingyi compute`)",
            tables.join(", ")
        )
    } else {
        anyhow::anyhow!("{msg}")
    }
}
