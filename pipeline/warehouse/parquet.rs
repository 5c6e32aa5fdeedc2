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

pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    let mut out = AtomicFile::create(path)?;
    ParquetWriter::new(out.file())
        .with_compression(ParquetCompression::Zstd(Some(ZstdLevel::try_new(3)?)))
        .with_statistics(StatisticsOptions::full())
        .finish(df)
        .with_context(|| format!("cannot write {}", path.display()))?;
    out.commit()
}

/// CSV in UTF-8 with BOM, so Excel shows Chinese; text a spreadsheet would
/// run as a formula is defused (`crate::csvsafe`).
pub fn write_csv_bom(df: &mut DataFrame, path: &Path) -> Result<()> {
    let mut out = AtomicFile::create(path)?;
    std::io::Write::write_all(out.file(), "\u{feff}".as_bytes())?;
    CsvWriter::new(out.file())
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
