//! A ratings file read as integers: the text columns compute groups by
//! come back as codes into dictionaries shared by every file of the pass
//! (`Dicts`), and the ids it counts distinct as 64-bit fingerprints, both
//! taken from the Parquet dictionary pages ingest wrote (`ingest::store`):
//! a row group's dictionary entries are looked up or hashed once, and each
//! row is its dictionary key. The cube then groups on one packed integer
//! per row and the distinct counts never hash a row's text.
//!
//! Read through polars-parquet's page decoder, the one polars' own reader
//! uses, asking for dictionary keys (its path for categoricals) instead of
//! strings. A column whose pages are not all dictionary-encoded (a file
//! another writer made may be) is decoded as text and looked up or hashed
//! row by row: slower, the same result. The response id, whose device vote
//! ids are unique per row and so written plain, is read from the integer
//! key format-2 files store beside it (`response_key`, the same 64 bits).
//! Numeric columns are read as the file declares them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use anyhow::{Context, Result};
use polars::prelude::{NamedFrom, PlSmallStr, Series};
use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::{
    ArrowDataType, ArrowSchema, Field, IntegerType, Metadata, DTYPE_CATEGORICAL_NEW,
};
use polars_parquet::read::{
    column_iter_to_arrays, infer_schema, read_metadata, BasicDecompressor, PageReader,
    RowGroupMetadata,
};

/// Our own keys, not an attacker's: the fast hasher.
type Fast = foldhash::fast::RandomState;

/// The fingerprint of a null: a null id counts as one value, as polars'
/// `n_unique` counts it.
pub const NULL_PRINT: u64 = 0;

/// One column's distinct texts (None for null) by code, shared by the files
/// read side by side.
#[derive(Default)]
pub struct Dict {
    texts: Vec<Option<String>>,
    /// Each text's fingerprint (`print`), so a column read as codes gives
    /// its fingerprints without being decoded again.
    prints: Vec<u64>,
    index: HashMap<String, u32, Fast>,
    null: Option<u32>,
}

impl Dict {
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// The code of `text`, added when new.
    fn code(&mut self, text: Option<&str>) -> u32 {
        let known = match text {
            Some(t) => self.index.get(t).copied(),
            None => self.null,
        };
        if let Some(c) = known {
            return c;
        }
        let c = self.texts.len() as u32;
        self.texts.push(text.map(str::to_string));
        self.prints.push(print(text));
        match text {
            Some(t) => {
                self.index.insert(t.to_string(), c);
            }
            None => self.null = Some(c),
        }
        c
    }

    pub fn text(&self, code: u32) -> Option<&str> {
        self.texts[code as usize].as_deref()
    }

    /// The code of null, if a null was read.
    pub fn null_code(&self) -> Option<u32> {
        self.null
    }

    /// The fingerprints of `codes`' texts.
    pub fn prints(&self, codes: &[u32]) -> Vec<u64> {
        codes.iter().map(|&c| self.prints[c as usize]).collect()
    }

    /// Every text by code, as a String series.
    pub fn all(&self, name: &str) -> Series {
        self.series(name, 0..self.len() as u32)
    }

    /// The texts of `codes`, as a String series.
    pub fn series(&self, name: &str, codes: impl Iterator<Item = u32>) -> Series {
        let texts: Vec<Option<&str>> = codes.map(|c| self.texts[c as usize].as_deref()).collect();
        Series::new(name.into(), texts)
    }
}

/// The dictionaries of the columns read as codes, one per column. Written
/// only while a period's files are read; after that the period's parts
/// (checks, sums, cube) read them side by side, so a read lock, which
/// they can all hold at once.
pub struct Dicts(Vec<RwLock<Dict>>);

impl Dicts {
    pub fn new(columns: usize) -> Dicts {
        Dicts((0..columns).map(|_| RwLock::default()).collect())
    }

    /// Column `i`'s dictionary to read. A panic elsewhere cannot leave one
    /// half updated (a code is pushed and indexed in one call), so a
    /// poisoned lock is taken over.
    pub fn get(&self, i: usize) -> RwLockReadGuard<'_, Dict> {
        self.0[i].read().unwrap_or_else(|e| e.into_inner())
    }

    /// Column `i`'s dictionary to add codes to (reading files only).
    fn write(&self, i: usize) -> RwLockWriteGuard<'_, Dict> {
        self.0[i].write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The columns of one file compute reads.
pub struct FileColumns {
    pub rows: usize,
    /// Codes into `Dicts`, per column asked for as codes.
    pub codes: Vec<Vec<u32>>,
    /// Fingerprints (xxh3 of the text, `NULL_PRINT` for null), per column
    /// asked for as fingerprints.
    pub prints: Vec<Vec<u64>>,
    /// The other columns asked for, as polars series.
    pub values: Vec<Series>,
}

/// What to read of a ratings file.
pub struct Columns<'a> {
    /// Read as codes into `dicts` (one dictionary per name).
    pub codes: &'a [&'a str],
    pub dicts: &'a Dicts,
    pub prints: &'a [&'a str],
    pub values: &'a [&'a str],
}

/// A text's fingerprint.
pub fn print(text: Option<&str>) -> u64 {
    text.map_or(NULL_PRINT, |t| xxhash_rust::xxh3::xxh3_64(t.as_bytes()))
}

/// The rows of one row group's text column, as dictionary keys when every
/// page is dictionary-encoded, else as texts.
enum Rows<'a> {
    Keys(&'a DictionaryArray<u32>),
    Texts(&'a Utf8ViewArray),
}

impl Rows<'_> {
    /// Each row's value under `f`, computed once per dictionary entry.
    fn map<T: Copy>(&self, out: &mut Vec<T>, mut f: impl FnMut(Option<&str>) -> T) -> Result<()> {
        match self {
            Rows::Keys(array) => {
                let values = array
                    .values()
                    .as_any()
                    .downcast_ref::<Utf8ViewArray>()
                    .context("a dictionary of texts")?;
                let mapped: Vec<T> = values.iter().map(&mut f).collect();
                let keys = array.keys();
                if keys.null_count() == 0 {
                    out.extend(keys.values().iter().map(|&k| mapped[k as usize]));
                } else {
                    let null = f(None);
                    out.extend(keys.iter().map(|k| k.map_or(null, |&k| mapped[k as usize])));
                }
            }
            Rows::Texts(array) => {
                let mut last: Option<(Option<&str>, T)> = None;
                for v in array.iter() {
                    let x = match last {
                        Some((t, x)) if t == v => x,
                        _ => f(v),
                    };
                    last = Some((v, x));
                    out.push(x);
                }
            }
        }
        Ok(())
    }
}

/// Reads `what` of the Parquet file at `path`.
pub fn read(path: &Path, what: &Columns) -> Result<FileColumns> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let bytes = polars_buffer::Buffer::from(bytes);
    let mut cursor = std::io::Cursor::new(bytes.clone());
    let meta = read_metadata(&mut cursor)
        .with_context(|| format!("cannot read the Parquet footer of {}", path.display()))?;
    let schema = infer_schema(&meta)?;
    let mut out = FileColumns {
        rows: meta.num_rows,
        codes: what
            .codes
            .iter()
            .map(|_| Vec::with_capacity(meta.num_rows))
            .collect(),
        prints: what
            .prints
            .iter()
            .map(|_| Vec::with_capacity(meta.num_rows))
            .collect(),
        values: Vec::new(),
    };
    let mut value_chunks: Vec<Vec<Box<dyn Array>>> =
        what.values.iter().map(|_| Vec::new()).collect();
    let context = |name: &str| format!("cannot read column {name} of {}", path.display());
    for rg in &meta.row_groups {
        for (i, (name, codes)) in what.codes.iter().zip(&mut out.codes).enumerate() {
            let arrays = texts(&bytes, rg, &schema, name).with_context(|| context(name))?;
            for a in &arrays {
                // Locked per dictionary entry, not while the rows are coded:
                // the other files' threads wait only for a lookup.
                rows(a.as_ref(), name)?.map(codes, |t| what.dicts.write(i).code(t))?;
            }
        }
        for (name, prints) in what.prints.iter().zip(&mut out.prints) {
            if let Some(stored) = stored_key(&schema, name) {
                let arrays = decode(&bytes, rg, stored.name.as_str(), stored)
                    .with_context(|| context(stored.name.as_str()))?;
                for a in &arrays {
                    stored_prints(a.as_ref(), prints)?;
                }
                continue;
            }
            let arrays = texts(&bytes, rg, &schema, name).with_context(|| context(name))?;
            for a in &arrays {
                rows(a.as_ref(), name)?.map(prints, print)?;
            }
        }
        for (name, chunks) in what.values.iter().zip(&mut value_chunks) {
            let field = field_of(&schema, name)?;
            chunks.extend(decode(&bytes, rg, name, field).with_context(|| context(name))?);
        }
    }
    for (name, chunks) in what.values.iter().zip(value_chunks) {
        let field = field_of(&schema, name)?;
        out.values.push(Series::try_from((field, chunks))?);
    }
    Ok(out)
}

/// The integer key a format-2 file stores for a text column read as
/// fingerprints (`warehouse::keys`): the same 64 bits `print` gives its
/// text, read instead of hashed. None in a format-1 file.
fn stored_key<'a>(schema: &'a ArrowSchema, name: &str) -> Option<&'a Field> {
    let key = match name {
        "response_id" => "response_key",
        _ => return None,
    };
    schema
        .get(key)
        .filter(|f| f.dtype() == &ArrowDataType::Int64)
}

/// A stored key column's rows as fingerprints (a null as `NULL_PRINT`).
fn stored_prints(array: &dyn Array, out: &mut Vec<u64>) -> Result<()> {
    let keys = array
        .as_any()
        .downcast_ref::<PrimitiveArray<i64>>()
        .context("a stored key column of 64-bit integers")?;
    if keys.null_count() == 0 {
        out.extend(keys.values().iter().map(|&k| k as u64));
    } else {
        out.extend(keys.iter().map(|k| k.map_or(NULL_PRINT, |&k| k as u64)));
    }
    Ok(())
}

/// A decoded text column's array as its rows.
fn rows<'a>(array: &'a dyn Array, name: &str) -> Result<Rows<'a>> {
    let any = array.as_any();
    if let Some(keys) = any.downcast_ref::<DictionaryArray<u32>>() {
        return Ok(Rows::Keys(keys));
    }
    match any.downcast_ref::<Utf8ViewArray>() {
        Some(texts) => Ok(Rows::Texts(texts)),
        None => anyhow::bail!("column {name} is not text"),
    }
}

fn field_of<'a>(schema: &'a ArrowSchema, name: &str) -> Result<&'a Field> {
    schema
        .get(name)
        .with_context(|| format!("the ratings file has no column {name}"))
}

/// One text column of one row group: dictionary keys when every page is
/// dictionary-encoded, else texts.
fn texts(
    bytes: &polars_buffer::Buffer<u8>,
    rg: &RowGroupMetadata,
    schema: &ArrowSchema,
    name: &str,
) -> Result<Vec<Box<dyn Array>>> {
    let keys = ArrowDataType::Dictionary(
        IntegerType::UInt32,
        Box::new(ArrowDataType::Utf8View),
        false,
    );
    let categorical = Metadata::from([(
        PlSmallStr::from_static(DTYPE_CATEGORICAL_NEW),
        PlSmallStr::EMPTY,
    )]);
    let as_keys = Field::new(name.into(), keys, true).with_metadata(categorical);
    match decode(bytes, rg, name, &as_keys) {
        Ok(arrays) => Ok(arrays),
        Err(_) => decode(bytes, rg, name, field_of(schema, name)?),
    }
}

/// The arrays of column `name` in row group `rg`, decoded as `field` says.
fn decode(
    bytes: &polars_buffer::Buffer<u8>,
    rg: &RowGroupMetadata,
    name: &str,
    field: &Field,
) -> Result<Vec<Box<dyn Array>>> {
    let mut chunks = rg
        .columns_under_root_iter(name)
        .with_context(|| format!("no column {name}"))?;
    let meta = chunks.next().with_context(|| format!("no column {name}"))?;
    let range = meta.byte_range();
    let (start, end) = (range.start as usize, range.end as usize);
    // A damaged footer must not slice past the file (a panic).
    if start > end || end > bytes.len() {
        anyhow::bail!(
            "column {name} lies outside the file ({start}..{end} of {} bytes): the file is damaged",
            bytes.len()
        );
    }
    let chunk = bytes.clone().sliced(start..end);
    let pages = PageReader::new(std::io::Cursor::new(chunk), meta, vec![], usize::MAX);
    let decompressor = BasicDecompressor::new(pages, vec![]);
    let primitive = &meta.descriptor().descriptor.primitive_type;
    let (arrays, _) =
        column_iter_to_arrays(vec![decompressor], vec![primitive], field.clone(), None)?;
    Ok(arrays)
}

#[cfg(test)]
mod tests {
    use super::{print, NULL_PRINT};
    use crate::warehouse::keys::response_key;

    /// Compute reads a format-2 file's stored `response_key` where it
    /// hashed a format-1 file's text: the two must be the same 64 bits, or
    /// one warehouse would count a form twice across a migration.
    #[test]
    fn the_stored_response_key_is_the_fingerprint_of_its_text() {
        // The published XXH3-64 of the empty input (seed 0).
        assert_eq!(
            response_key(Some("")),
            Some(0x2D06_8005_38D3_94C2_u64 as i64)
        );
        for id in ["", "R1", "SJ1130144170345", "问卷-0001", "dev7:vote:000123"] {
            assert_eq!(
                response_key(Some(id)).map(|k| k as u64),
                Some(print(Some(id)))
            );
        }
        assert_eq!(response_key(None), None);
        assert_eq!(print(None), NULL_PRINT);
    }
}
