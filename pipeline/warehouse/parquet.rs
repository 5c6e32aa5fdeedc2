//! Writing a DataFrame to a file atomically (temporary name, sync, rename),
//! and reading back a file not yet committed.

use std::path::Path;

use anyhow::{Context, Result};
use polars::polars_utils::compression::ZstdLevel;
use polars::prelude::{
    CsvWriter, DataFrame, ParquetCompression, ParquetReader, ParquetWriter, SerReader, SerWriter,
    StatisticsOptions,
};

use crate::fsutil::AtomicFile;

/// The warehouse's Parquet compression: zstd level 1. `ingest::store`
/// compresses its pages with the same, so its files are the ones this
/// writer makes. Level 1, not zstd's default 3: ingest runs 4 % fewer
/// instructions (callgrind, 1M ratings, the file's SHA-256 aside) for
/// ratings files 9 % larger, and reading them back costs the same.
pub fn compression() -> Result<ParquetCompression> {
    Ok(ParquetCompression::Zstd(Some(ZstdLevel::try_new(1)?)))
}

/// A writer with the warehouse's settings: `compression()` and full
/// statistics (row groups pruned by a query's filters).
pub fn parquet_writer<W: std::io::Write>(out: W) -> Result<ParquetWriter<W>> {
    Ok(ParquetWriter::new(out)
        .with_compression(compression()?)
        .with_statistics(StatisticsOptions::full()))
}

pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    let mut out = AtomicFile::create(path)?;
    parquet_writer(out.writer())?
        .finish(df)
        .with_context(|| format!("cannot write {}", path.display()))?;
    out.commit()
}

/// CSV in UTF-8 with BOM, so Excel shows Chinese; text a spreadsheet would
/// run as a formula is defused (`crate::csvsafe`).
pub fn write_csv_bom(df: &mut DataFrame, path: &Path) -> Result<()> {
    let mut out = AtomicFile::create(path)?;
    std::io::Write::write_all(out.writer(), "\u{feff}".as_bytes())?;
    CsvWriter::new(out.writer())
        .include_header(true)
        .finish(&mut crate::csvsafe::defuse_frame(df)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    out.commit()
}

/// A whole Parquet file, eagerly; for a file this process wrote and has not
/// committed yet (committed ones are read through `Warehouse::scan`).
pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    ParquetReader::new(f)
        .finish()
        .with_context(|| format!("cannot read {}", path.display()))
}
