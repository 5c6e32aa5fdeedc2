//! Writing accepted ratings (`piece::Piece`) to a Parquet file with their
//! dictionaries as Parquet's own.
//!
//! The file is the one polars' writer makes of the same rows: the same
//! schema (the warehouse's declared ratings columns, text as String), the
//! warehouse's zstd level, full statistics, row groups of 262,144 rows,
//! text columns dictionary-encoded. The dictionaries come from the blocks instead of
//! from hashing every cell: per row group, the blocks' dictionaries are
//! merged (each distinct text once, unused and null entries dropped, so the
//! statistics are those of the rows written) and the codes renumbered
//! (`arrays.rs`). This file turns the arrays into pages and the file.
//! Two number columns polars writes plain are written in a smaller form
//! every Parquet reader reads (`smaller_form`): the score as a dictionary,
//! the source line as deltas.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use polars::prelude::{ArrowDataType, Schema, StatisticsOptions};
use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray};
use polars_arrow::datatypes::IntegerType;
use polars_parquet::parquet::compression::Compression;
use polars_parquet::parquet::encoding::Encoding;
use polars_parquet::parquet::page::{CompressedDictPage, DataPageHeader};
use polars_parquet::parquet::CowBuffer;
use polars_parquet::write::{
    array_to_columns, compress, get_dtype_encoding, CompressedDataPage, CompressedPage,
    CompressionOptions, Page, ParquetType, Version, WriteOptions,
};
use rayon::prelude::*;

use super::piece::Piece;
use crate::fsutil::AtomicFile;
use arrays::{array, row_groups};

mod arrays;

/// Rows per row group, as polars' writer cuts them.
const ROW_GROUP: usize = 512 * 512;

/// Writes `pieces`, in order, as one Parquet file with `schema`'s columns.
pub fn write_pieces(pieces: &[Piece], schema: &Schema, path: &Path) -> Result<()> {
    let mut out = AtomicFile::create(path)?;
    let mut writer = crate::warehouse::parquet_writer(out.writer())?.batched(schema)?;
    // The options polars' writer derives from the same settings.
    let options = WriteOptions {
        statistics: StatisticsOptions::full(),
        version: Version::V1,
        compression: crate::warehouse::compression()?.into(),
        data_page_size: None,
    };
    let fields: Vec<ParquetType> = writer.parquet_schema().fields().to_vec();
    for group in row_groups(pieces) {
        let rows: usize = group.iter().map(|s| s.len()).sum();
        let pages = (0..schema.len())
            .into_par_iter()
            .map(|c| encode(array(&group, c)?.as_ref(), &fields[c], options))
            .collect::<Result<Vec<_>>>()?;
        writer.write_row_group(rows as u64, &pages)?;
    }
    writer
        .finish()
        .with_context(|| format!("cannot write {}", path.display()))?;
    out.commit()
}

/// One column of a row group as pages, compressed.
fn encode(
    array: &dyn Array,
    field: &ParquetType,
    options: WriteOptions,
) -> Result<Vec<CompressedPage>> {
    let (array, encoding, options) = match smaller_form(array) {
        // One data page: polars-parquet gives each page of a dictionary
        // column the statistics of the whole column chunk, so a chunk cut
        // into pages (over 209,715 rows) would count its nulls once a page.
        // Both forms take a few bits a row, so one page stays small.
        Some((smaller, encoding)) => (
            smaller,
            vec![encoding],
            WriteOptions {
                data_page_size: Some(1 << 30),
                ..options
            },
        ),
        None => (
            array.to_boxed(),
            get_dtype_encoding(array_dtype_for_encoding(array)),
            options,
        ),
    };
    let mut pages = Vec::new();
    for column in array_to_columns(array.as_ref(), field.clone(), options, &encoding)? {
        for page in column {
            pages.push(compress_page(page?, options.compression)?);
        }
    }
    Ok(pages)
}

/// A page compressed as polars' `compress` does it, but with this thread's
/// zstd context reused: polars makes a context per page, and setting up and
/// clearing its tables cost 3 % of ingest's CPU (perf, 10M ratings). The
/// bytes are the same: a context starts each frame afresh.
fn compress_page(page: Page, compression: CompressionOptions) -> Result<CompressedPage> {
    let CompressionOptions::Zstd(Some(level)) = compression else {
        return Ok(compress(page, vec![], compression)?);
    };
    let level = level.compression_level();
    Ok(match page {
        Page::Data(data) if matches!(data.header(), DataPageHeader::V1(_)) => {
            let raw = data.buffer();
            CompressedPage::Data(CompressedDataPage::new(
                data.header().clone(),
                CowBuffer::Owned(zstd_frame(raw, level)?),
                Compression::Zstd,
                raw.len(),
                data.descriptor.clone(),
                data.num_rows()
                    .context("a page being written counts its rows")?,
            ))
        }
        Page::Dict(dict) => CompressedPage::Dict(CompressedDictPage::new(
            CowBuffer::Owned(zstd_frame(&dict.buffer, level)?),
            Compression::Zstd,
            dict.buffer.len(),
            dict.num_values,
            dict.is_sorted,
        )),
        other => compress(other, vec![], compression)?,
    })
}

/// `raw` as one zstd frame, made with this thread's context.
fn zstd_frame(raw: &[u8], level: i32) -> Result<Vec<u8>> {
    thread_local! {
        static CONTEXT: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> =
            const { RefCell::new(None) };
    }
    let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(raw.len()));
    CONTEXT.with_borrow_mut(|context| -> Result<()> {
        let compressor = match context {
            Some((l, c)) if *l == level => c,
            _ => {
                &mut context
                    .insert((level, zstd::bulk::Compressor::new(level)?))
                    .1
            }
        };
        compressor.compress_to_buffer(raw, &mut out)?;
        Ok(())
    })?;
    Ok(out)
}

/// Where a number column has a far smaller form than the plain one polars'
/// writer falls back to, that form and its encoding; every Parquet reader
/// (polars, DuckDB, pyarrow, Spark) reads both, as the same values.
/// - A float column of few values (the score: one per scale level) as a
///   dictionary: polars' writer tries one for floats, fails to build it and
///   writes 8 bytes a row (53 MB of the 195 MB zstd compressed at 10M).
/// - An ascending integer column (the source line: a file's rows in file
///   order) as deltas, a few bits a row instead of 4 bytes zstd barely
///   shrinks (27 MB → 20 MB at 10M).
fn smaller_form(array: &dyn Array) -> Option<(Box<dyn Array>, Encoding)> {
    if let ArrowDataType::Dictionary(_, values, _) = array.dtype() {
        // Already in that form (`numbers`); text is dictionary-encoded anyway.
        let floats = **values == ArrowDataType::Float64;
        return floats.then(|| (array.to_boxed(), Encoding::RleDictionary));
    }
    let any = array.as_any();
    if let Some(floats) = any.downcast_ref::<PrimitiveArray<f64>>() {
        return few_floats(floats).map(|d| (d.boxed(), Encoding::RleDictionary));
    }
    let ints = any.downcast_ref::<PrimitiveArray<u32>>()?;
    let v = ints.values();
    let ascending = ints.null_count() == 0
        && v.len() > 1
        && v[0] < v[v.len() - 1]
        && v[v.len() - 1] <= i32::MAX as u32
        && v.windows(2).all(|w| w[0] <= w[1]);
    ascending.then(|| (array.to_boxed(), Encoding::DeltaBinaryPacked))
}

/// Most distinct values a float column is written as a dictionary with:
/// beyond it the dictionary would not pay.
const FEW_FLOATS: usize = 256;

/// The floats as a dictionary array, or None when they have more than a
/// few distinct values.
fn few_floats(floats: &PrimitiveArray<f64>) -> Option<DictionaryArray<u32>> {
    let mut values: Vec<f64> = Vec::new();
    let mut code_of: HashMap<u64, u32, foldhash::fast::RandomState> = HashMap::default();
    let mut keys: Vec<u32> = Vec::with_capacity(floats.len());
    let mut last = None;
    for (i, &v) in floats.values().iter().enumerate() {
        if !floats.is_valid(i) {
            keys.push(0);
            continue;
        }
        if v.is_nan() {
            return None; // statistics of NaN differ between the forms
        }
        // Bits, not values: -0.0 and 0.0 stay apart, as in the plain form.
        let bits = v.to_bits();
        let code = match last {
            Some((b, c)) if b == bits => c,
            _ => *code_of.entry(bits).or_insert_with(|| {
                values.push(v);
                values.len() as u32 - 1
            }),
        };
        if values.len() > FEW_FLOATS {
            return None;
        }
        last = Some((bits, code));
        keys.push(code);
    }
    if values.is_empty() {
        return None;
    }
    let keys = PrimitiveArray::<u32>::new(
        ArrowDataType::UInt32,
        keys.into(),
        floats.validity().cloned(),
    );
    let dtype =
        ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(ArrowDataType::Float64), false);
    DictionaryArray::try_new(dtype, keys, PrimitiveArray::from_vec(values).boxed()).ok()
}

/// The type the encoding is chosen by: a dictionary's values (text is
/// dictionary-encoded either way).
fn array_dtype_for_encoding(array: &dyn Array) -> &ArrowDataType {
    match array.dtype() {
        ArrowDataType::Dictionary(_, values, _) => values,
        other => other,
    }
}

#[cfg(test)]
mod tests;
