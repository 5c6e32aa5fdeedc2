//! `pingyi migrate`: a warehouse of an older format brought up to the one
//! this pingyi writes (`FORMAT`), under the batch commit protocol.
//!
//! Format 1 → 2 adds `ratings.response_key` (`keys.rs`) beside each
//! response id. Each ratings file is read, given the column in its declared
//! place and written under a new name (temporary name, then rename); the
//! manifest, listing the new files and the new format, is replaced last.
//! A crash before that leaves the warehouse of format 1 exactly as it was
//! (the new files unlisted, removed by the next command that collects
//! garbage); after it, the old files are unlisted and removed. The metric
//! tables are not touched: their input files changed names, so the next
//! compute rebuilds them, from the same rows, to the same figures.

use anyhow::{bail, Result};
use polars::prelude::{DataFrame, Int64Chunked, IntoColumn, NewChunkedArray};

use super::keys::response_key;
use super::{read_parquet, schema, seal, write_parquet, Manifest, Warehouse, FORMAT};

/// What a migration did.
#[derive(Debug)]
pub struct Migrated {
    pub from: u32,
    pub to: u32,
    /// Ratings files rewritten, and their rows.
    pub files: usize,
    pub rows: usize,
}

/// Migrates the warehouse; None when it already is of this format. The
/// caller holds the warehouse lock.
pub fn migrate(wh: &Warehouse) -> Result<Option<Migrated>> {
    let mut m = wh.manifest()?;
    if m.format == FORMAT {
        return Ok(None);
    }
    // Every listed data file whole before anything is rewritten from it.
    seal::quick_check_data(&wh.root, &m)?;
    wh.collect_garbage(&m)?;
    let from = m.format;
    if from != 1 {
        bail!(
            "the warehouse {} is format {from}, which this pingyi cannot migrate (it knows format 1)",
            wh.root.display()
        );
    }
    let (files, rows) = ratings_to_2(wh, &mut m)?;
    m.format = FORMAT;
    wh.commit(&m)?;
    Ok(Some(Migrated {
        from,
        to: FORMAT,
        files,
        rows,
    }))
}

/// Format 1 → 2: every ratings file rewritten with `response_key`, the
/// manifest's list pointed at the new files.
fn ratings_to_2(wh: &Warehouse, m: &mut Manifest) -> Result<(usize, usize)> {
    let old = m.tables.get("ratings").cloned().unwrap_or_default();
    let mut new = Vec::with_capacity(old.len());
    let mut rows = 0;
    for rel in &old {
        let mut df = read_parquet(&wh.checked_file(m, rel)?)?;
        with_response_key(&mut df, rel)?;
        let to = renamed(rel);
        write_parquet(&mut df, &wh.root.join(&to))?;
        rows += df.height();
        new.push(to);
    }
    m.tables.insert("ratings".into(), new);
    Ok((old.len(), rows))
}

/// Adds `response_key` after `response_id` and checks the result has the
/// declared ratings columns, in order and type.
fn with_response_key(df: &mut DataFrame, rel: &str) -> Result<()> {
    if df.column("response_key").is_ok() {
        bail!("{rel} already has a response_key column in a format-1 warehouse: it was not written by pingyi; restore the warehouse from a backup");
    }
    let Some(at) = df.get_column_index("response_id") else {
        bail!("{rel} has no response_id column: it is not a ratings file pingyi wrote; restore the warehouse from a backup");
    };
    let ids = df.column("response_id")?.str()?;
    let keys = Int64Chunked::from_iter_options("response_key".into(), ids.iter().map(response_key));
    df.insert_column(at + 1, keys.into_column())?;
    let declared = schema::of("ratings");
    if df.schema().as_ref() != &declared {
        bail!(
            "{rel} does not have the ratings columns of format 1 (found {:?}); restore the warehouse from a backup",
            df.get_column_names()
        );
    }
    Ok(())
}

/// The new file's name: the old one marked with the format, so the two
/// never share a name and the old one stays whole until the commit.
fn renamed(rel: &str) -> String {
    let stem = rel.strip_suffix(".parquet").unwrap_or(rel);
    format!("{stem}.f{FORMAT}.parquet")
}

#[cfg(test)]
mod tests {
    use super::renamed;

    #[test]
    fn a_migrated_file_gets_a_name_of_its_own() {
        assert_eq!(
            renamed("ratings/period=2012Q3/b000001-f003-p0000.parquet"),
            "ratings/period=2012Q3/b000001-f003-p0000.f2.parquet"
        );
    }
}
