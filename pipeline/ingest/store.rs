//! Writing accepted ratings (`piece::Piece`) to a Parquet file with their
//! dictionaries as Parquet's own.
//!
//! The file is the one polars' writer makes of the same rows: the same
//! schema (the warehouse's declared ratings columns, text as String), the
//! warehouse's zstd level, full statistics, row groups of 262,144 rows,
//! text columns dictionary-encoded. The dictionaries come from the blocks instead of
//! from hashing every cell: per row group, the blocks' dictionaries are
//! merged (each distinct text once, unused and null entries dropped, so the
//! statistics are those of the rows written) and the codes renumbered.
//! Two number columns polars writes plain are written in a smaller form
//! every Parquet reader reads (`smaller_form`): the score as a dictionary,
//! the source line as deltas.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use polars::prelude::{ArrowDataType, CompatLevel, DataType, Schema, Series, StatisticsOptions};
use polars_arrow::array::{
    Array, BooleanArray, DictionaryArray, MutableBinaryViewArray, PrimitiveArray, Utf8ViewArray,
};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
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

use super::piece::{Cells, Piece};
use crate::fsutil::AtomicFile;

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

/// The floats as a dictionary array, or None when they have more than a
/// few distinct values (the dictionary would not pay).
fn few_floats(floats: &PrimitiveArray<f64>) -> Option<DictionaryArray<u32>> {
    const FEW: usize = 256;
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
        if values.len() > FEW {
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

/// A run of rows of one piece.
struct Slice<'a> {
    piece: &'a Piece,
    start: usize,
    end: usize,
}

impl Slice<'_> {
    fn len(&self) -> usize {
        self.end - self.start
    }
}

/// The pieces' rows cut into row groups as polars' writer cuts a frame of
/// many chunks: whole pieces until a group holds at least `ROW_GROUP` rows.
/// A piece larger than that (a big workbook sheet) is cut into slices of
/// `ROW_GROUP` rows.
fn row_groups(pieces: &[Piece]) -> Vec<Vec<Slice<'_>>> {
    let mut groups = Vec::new();
    let mut current = Vec::new();
    let mut rows = 0;
    for piece in pieces {
        let mut start = 0;
        while start < piece.height {
            let end = piece.height.min(start + ROW_GROUP);
            current.push(Slice { piece, start, end });
            rows += end - start;
            start = end;
            if rows >= ROW_GROUP {
                groups.push(std::mem::take(&mut current));
                rows = 0;
            }
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// Column `c` of a row group as one arrow array.
fn array(group: &[Slice], c: usize) -> Result<Box<dyn Array>> {
    match &group[0].piece.columns[c].1 {
        Cells::Plain(_) => plain(group, c),
        Cells::Coded { dict, .. } => match dict.dtype() {
            DataType::String => coded(group, c),
            DataType::Boolean => flags(group, c),
            _ => gathered(group, c),
        },
    }
}

fn plain(group: &[Slice], c: usize) -> Result<Box<dyn Array>> {
    joined(group.iter().map(|s| match &s.piece.columns[c].1 {
        Cells::Plain(col) => Ok(col.as_materialized_series().slice(s.start as i64, s.len())),
        Cells::Coded { .. } => mixed(c),
    }))
}

/// A coded column of numbers or dates: each slice's rows gathered from
/// its dictionary.
fn gathered(group: &[Slice], c: usize) -> Result<Box<dyn Array>> {
    joined(group.iter().map(|s| match &s.piece.columns[c].1 {
        Cells::Coded { dict, keys } => Ok(dict.take_slice(&keys[s.start..s.end])?),
        Cells::Plain(_) => mixed(c),
    }))
}

/// The parts of a column one after another, as one arrow array.
fn joined(mut parts: impl Iterator<Item = Result<Series>>) -> Result<Box<dyn Array>> {
    let mut series: Series = parts.next().expect("a row group has rows")?;
    for part in parts {
        series.append(&part?)?;
    }
    Ok(series.rechunk().to_arrow(0, CompatLevel::newest()))
}

fn mixed<T>(c: usize) -> Result<T> {
    anyhow::bail!("column {c} is coded in one block and not in another")
}

/// A coded column of flags (valid, satisfied), gathered bit by bit from
/// each slice's dictionary: polars' gather of booleans costs several times
/// a number's.
fn flags(group: &[Slice], c: usize) -> Result<Box<dyn Array>> {
    let rows = group.iter().map(Slice::len).sum();
    let mut values = MutableBitmap::with_capacity(rows);
    let mut validity = MutableBitmap::with_capacity(rows);
    for s in group {
        let Cells::Coded { dict, keys } = &s.piece.columns[c].1 else {
            return mixed(c);
        };
        let dict: Vec<Option<bool>> = dict.bool()?.iter().collect();
        for &k in &keys[s.start..s.end] {
            let v = dict[k as usize];
            values.push(v.unwrap_or(false));
            validity.push(v.is_some());
        }
    }
    let validity: Option<Bitmap> = (validity.unset_bits() > 0).then(|| validity.into());
    Ok(BooleanArray::new(ArrowDataType::Boolean, values.into(), validity).boxed())
}

/// A text column as a dictionary array: the slices' dictionaries merged.
fn coded(group: &[Slice], c: usize) -> Result<Box<dyn Array>> {
    /// Marks in `renumber`: an entry no row of the slice has used yet, and
    /// a null entry.
    const UNSEEN: u32 = u32::MAX;
    const NULL: u32 = u32::MAX - 1;
    let mut merged: HashMap<&str, u32, foldhash::fast::RandomState> = HashMap::default();
    let mut values = MutableBinaryViewArray::<str>::new();
    let mut keys: Vec<u32> = Vec::with_capacity(group.iter().map(|s| s.len()).sum());
    let mut valid: Vec<bool> = Vec::with_capacity(keys.capacity());
    // A slice is often one period of its block (an eighth of its rows) but
    // has the block's whole dictionary: entries are looked up as its rows
    // use them and reset after, so no slice pays for the whole dictionary
    // (collecting each slice's dictionary was 2 % of ingest's CPU).
    let mut renumber: Vec<u32> = Vec::new();
    let mut touched: Vec<u32> = Vec::new();
    for s in group {
        let Cells::Coded { dict, keys: codes } = &s.piece.columns[c].1 else {
            return mixed(c);
        };
        let texts = dict.str()?;
        if renumber.len() < texts.len() {
            renumber.resize(texts.len(), UNSEEN);
        }
        for &k in &codes[s.start..s.end] {
            let mut new = renumber[k as usize];
            if new == UNSEEN {
                new = match texts.get(k as usize) {
                    Some(t) => *merged.entry(t).or_insert_with(|| {
                        values.push_value(t);
                        (values.len() - 1) as u32
                    }),
                    None => NULL,
                };
                renumber[k as usize] = new;
                touched.push(k);
            }
            valid.push(new != NULL);
            keys.push(if new == NULL { 0 } else { new });
        }
        for k in touched.drain(..) {
            renumber[k as usize] = UNSEEN;
        }
    }
    let rows = keys.len();
    let values: Utf8ViewArray = values.freeze();
    if values.is_empty() {
        return Ok(Utf8ViewArray::new_null(ArrowDataType::Utf8View, rows).boxed());
    }
    if rows > 128 && values.len() as f64 / rows as f64 > 0.75 {
        // Nearly every row its own text (a device's vote ids): a dictionary
        // would only add to the file. Written plain, as polars' writer
        // decides for such a column. That writer decides on an estimate of
        // the count (HyperLogLog), so within about 1 % of the threshold the
        // two can choose differently; both files read the same. Making the
        // estimate here (on the dictionary: it depends only on the set of
        // texts) cost 1 % more of ingest's instructions and saved nothing.
        let mut plain = MutableBinaryViewArray::<str>::with_capacity(rows);
        for (&k, &v) in keys.iter().zip(&valid) {
            plain.push(v.then(|| values.value(k as usize)));
        }
        return Ok(plain.freeze().boxed());
    }
    let validity: Option<Bitmap> = valid.iter().any(|v| !v).then(|| Bitmap::from_iter(valid));
    let keys = PrimitiveArray::<u32>::new(ArrowDataType::UInt32, keys.into(), validity);
    let dtype = ArrowDataType::Dictionary(
        IntegerType::UInt32,
        Box::new(ArrowDataType::Utf8View),
        false,
    );
    Ok(DictionaryArray::try_new(dtype, keys, values.boxed())?.boxed())
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::*;

    fn coded(dict: &[Option<&str>], keys: Vec<u32>) -> Cells {
        Cells::Coded {
            dict: Series::new("d".into(), dict),
            keys,
        }
    }

    fn piece(columns: Vec<(&str, Cells)>) -> Piece {
        let height = match &columns[0].1 {
            Cells::Coded { keys, .. } => keys.len(),
            Cells::Plain(c) => c.len(),
        };
        Piece {
            height,
            columns: columns.into_iter().map(|(n, c)| (n.into(), c)).collect(),
        }
    }

    /// A piece's rows as a frame of text and number columns.
    fn frame(piece: &Piece) -> DataFrame {
        let columns = piece
            .columns
            .iter()
            .map(|(n, _)| match piece.texts(n) {
                Ok(texts) => Column::new(n.clone(), texts),
                Err(_) => piece.u32s(n).unwrap().clone().into_column(),
            })
            .collect::<Vec<_>>();
        DataFrame::new_infer_height(columns).unwrap()
    }

    fn schema() -> Schema {
        Schema::from_iter([
            Field::new("t".into(), DataType::String),
            Field::new("n".into(), DataType::UInt32),
            Field::new("id".into(), DataType::String),
            Field::new("none".into(), DataType::String),
        ])
    }

    fn block(rows: usize, dict: &[Option<&str>], ids: impl Fn(usize) -> String) -> Piece {
        let ids: Vec<String> = (0..rows).map(ids).collect();
        piece(vec![
            (
                "t",
                coded(
                    dict,
                    (0..rows as u32).map(|i| i % dict.len() as u32).collect(),
                ),
            ),
            (
                "n",
                // Not ascending: such a column is written as deltas
                // (`a_score_and_source_lines_are_written_smaller`).
                Cells::Plain(Column::new(
                    "n".into(),
                    (0..rows as u32)
                        .map(|i| i * 7919 % 1000)
                        .collect::<Vec<_>>(),
                )),
            ),
            (
                "id",
                Cells::Coded {
                    dict: Series::new("d".into(), &ids),
                    keys: (0..rows as u32).collect(),
                },
            ),
            ("none", coded(&[None], vec![0; rows])),
        ])
    }

    /// Blocks with their own dictionaries (an entry null, an entry no row
    /// uses), a column of nearly unique ids, one with no value at all, over
    /// two row groups: the file is byte for byte the one polars' writer
    /// makes of the same rows as a frame of one chunk per block, and reads
    /// back as them.
    #[test]
    fn coded_pieces_make_the_file_polars_makes_of_their_rows() {
        let first = piece(vec![
            (
                "t",
                coded(&[Some("乙"), None, Some("甲"), Some("不用")], vec![2, 0, 1]),
            ),
            ("n", Cells::Plain(Column::new("n".into(), [1u32, 2, 3]))),
            ("id", Cells::constant("a-1", 3)),
            ("none", coded(&[None], vec![0, 0, 0])),
        ]);
        let pieces = [
            first,
            block(150_000, &[Some("甲"), Some("丙"), None], |i| {
                format!("u{i:07}")
            }),
            block(150_000, &[Some("丁"), Some("甲")], |i| {
                format!("p{:07}", i / 2)
            }),
            block(1_000, &[Some("丙")], |i| format!("u{i:07}")),
        ];
        let dir = tempfile::tempdir().unwrap();
        let (ours, theirs) = (
            dir.path().join("ours.parquet"),
            dir.path().join("theirs.parquet"),
        );
        write_pieces(&pieces, &schema(), &ours).unwrap();
        let mut expected = frame(&pieces[0]);
        for p in &pieces[1..] {
            expected.vstack_mut(&frame(p)).unwrap();
        }
        crate::warehouse::write_parquet(&mut expected, &theirs).unwrap();
        let (a, b) = (
            std::fs::read(&ours).unwrap(),
            std::fs::read(&theirs).unwrap(),
        );
        assert!(
            a == b,
            "the files differ ({} and {} bytes)",
            a.len(),
            b.len()
        );
        let back = crate::warehouse::read_parquet(&ours).unwrap();
        assert!(back.equals_missing(&expected));
        assert_eq!(back.height(), 301_003);
    }

    /// A score of a few values (with nulls) is written as a dictionary and
    /// ascending source lines as deltas: the file reads back as the rows,
    /// with the statistics polars' plain file has, in a fraction of its
    /// bytes; the text column is as polars writes it.
    #[test]
    fn a_score_and_source_lines_are_written_smaller() {
        let rows = 301_000usize;
        let scores: Vec<Option<f64>> = (0..rows)
            .map(|i| (i % 7 != 3).then_some((i * 31 % 5) as f64 * 25.0))
            .collect();
        let lines: Vec<u32> = (0..rows as u32).map(|i| 2 + i * 3 + i % 2).collect();
        let texts: Vec<&str> = (0..rows).map(|i| ["甲", "乙", "丙"][i % 3]).collect();
        // Blocks of 150,000, 150,000 and 1,000 rows: two row groups.
        let pieces: Vec<Piece> = [0..150_000, 150_000..300_000, 300_000..rows]
            .into_iter()
            .map(|r| {
                piece(vec![
                    (
                        "score",
                        Cells::Plain(Column::new("score".into(), &scores[r.clone()])),
                    ),
                    (
                        "line",
                        Cells::Plain(Column::new("line".into(), &lines[r.clone()])),
                    ),
                    (
                        "t",
                        coded(
                            &[Some("甲"), Some("乙"), Some("丙")],
                            r.map(|i| i as u32 % 3).collect(),
                        ),
                    ),
                ])
            })
            .collect();
        let schema = Schema::from_iter([
            Field::new("score".into(), DataType::Float64),
            Field::new("line".into(), DataType::UInt32),
            Field::new("t".into(), DataType::String),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let (ours, theirs) = (
            dir.path().join("ours.parquet"),
            dir.path().join("theirs.parquet"),
        );
        write_pieces(&pieces, &schema, &ours).unwrap();
        let frame = |r: std::ops::Range<usize>| {
            df!("score" => &scores[r.clone()], "line" => &lines[r.clone()], "t" => &texts[r])
                .unwrap()
        };
        let mut expected = frame(0..150_000);
        expected.vstack_mut(&frame(150_000..300_000)).unwrap();
        expected.vstack_mut(&frame(300_000..rows)).unwrap();
        crate::warehouse::write_parquet(&mut expected, &theirs).unwrap();
        let back = crate::warehouse::read_parquet(&ours).unwrap();
        assert!(back.equals_missing(&expected), "{back}");

        let meta = |p: &std::path::Path| {
            let mut f = std::fs::File::open(p).unwrap();
            polars_parquet::read::read_metadata(&mut f).unwrap()
        };
        let (a, b) = (meta(&ours), meta(&theirs));
        assert_eq!(a.row_groups.len(), 2);
        assert_eq!(a.row_groups.len(), b.row_groups.len());
        for (ra, rb) in a.row_groups.iter().zip(&b.row_groups) {
            for (name, smaller) in [("score", true), ("line", true), ("t", false)] {
                let ca = ra.columns_under_root_iter(name).unwrap().next().unwrap();
                let cb = rb.columns_under_root_iter(name).unwrap().next().unwrap();
                let stats = |c: &polars_parquet::parquet::metadata::ColumnChunkMetadata, buf| {
                    format!("{:?}", c.statistics(buf).unwrap().unwrap())
                };
                assert_eq!(stats(ca, &a.footer_buf), stats(cb, &b.footer_buf), "{name}");
                if smaller {
                    assert!(
                        ca.uncompressed_size() * 4 < cb.uncompressed_size(),
                        "{name}: {} and {} bytes",
                        ca.uncompressed_size(),
                        cb.uncompressed_size()
                    );
                } else {
                    assert_eq!(ca.compressed_size(), cb.compressed_size(), "{name}");
                }
            }
            let score = ra.columns_under_root_iter("score").unwrap().next().unwrap();
            assert!(score.dictionary_page_offset().is_some());
        }
    }
}
