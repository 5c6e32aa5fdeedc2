//! A row group's columns as arrow arrays, built from the pieces' cells:
//! coded text and numbers as dictionaries merged from the blocks' own,
//! flags gathered bit by bit, the rest gathered or joined as polars does.

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::{ArrowDataType, CompatLevel, DataType, Series};
use polars_arrow::array::{
    Array, BooleanArray, DictionaryArray, MutableBinaryViewArray, PrimitiveArray, Utf8ViewArray,
};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::datatypes::IntegerType;

use super::{FEW_FLOATS, ROW_GROUP};
use crate::ingest::piece::{Cells, Piece};

/// A run of rows of one piece.
pub(super) struct Slice<'a> {
    piece: &'a Piece,
    start: usize,
    end: usize,
}

impl Slice<'_> {
    pub(super) fn len(&self) -> usize {
        self.end - self.start
    }
}

/// The pieces' rows cut into row groups as polars' writer cuts a frame of
/// many chunks: whole pieces until a group holds at least `ROW_GROUP` rows.
/// A piece larger than that (a big workbook sheet) is cut into slices of
/// `ROW_GROUP` rows.
pub(super) fn row_groups(pieces: &[Piece]) -> Vec<Vec<Slice<'_>>> {
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
pub(super) fn array(group: &[Slice], c: usize) -> Result<Box<dyn Array>> {
    match &group[0].piece.columns[c].1 {
        Cells::Plain(_) => plain(group, c),
        Cells::Coded { dict, .. } => match dict.dtype() {
            DataType::String => coded(group, c),
            DataType::Boolean => flags(group, c),
            DataType::Float64 => numbers(group, c),
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

/// Each row's code in a dictionary merged from the slices' dictionaries of
/// column `c`, and whether the row has a value. `entry(dict, k)` gives the
/// merged code of entry `k` of a slice's dictionary (None: a null entry);
/// it is asked once per slice for each entry the slice's rows use, so no
/// slice pays for its block's whole dictionary (a slice is often one
/// period of its block, an eighth of its rows; collecting each slice's
/// dictionary was 2 % of ingest's CPU).
fn merged_keys<'a>(
    group: &'a [Slice],
    c: usize,
    mut entry: impl FnMut(&'a Series, usize) -> Result<Option<u32>>,
) -> Result<(Vec<u32>, Vec<bool>)> {
    /// Marks in `renumber`: an entry no row of the slice has used yet, and
    /// a null entry.
    const UNSEEN: u32 = u32::MAX;
    const NULL: u32 = u32::MAX - 1;
    let mut keys: Vec<u32> = Vec::with_capacity(group.iter().map(|s| s.len()).sum());
    let mut valid: Vec<bool> = Vec::with_capacity(keys.capacity());
    let mut renumber: Vec<u32> = Vec::new();
    let mut touched: Vec<u32> = Vec::new();
    for s in group {
        let Cells::Coded { dict, keys: codes } = &s.piece.columns[c].1 else {
            return mixed(c);
        };
        if renumber.len() < dict.len() {
            renumber.resize(dict.len(), UNSEEN);
        }
        for &k in &codes[s.start..s.end] {
            let mut new = renumber[k as usize];
            if new == UNSEEN {
                new = entry(dict, k as usize)?.unwrap_or(NULL);
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
    Ok((keys, valid))
}

/// The validity of `valid`, None when every row has a value.
fn validity(valid: Vec<bool>) -> Option<Bitmap> {
    valid.iter().any(|v| !v).then(|| Bitmap::from_iter(valid))
}

/// A coded column of numbers as a dictionary array of the values its rows
/// use (the score: one value per scale level), the slices' dictionaries
/// merged: the form `few_floats` makes of the gathered column, without
/// gathering every row and hashing it again. Gathered instead when the
/// values are many or one is NaN.
fn numbers(group: &[Slice], c: usize) -> Result<Box<dyn Array>> {
    let mut values: Vec<f64> = Vec::new();
    let mut code_of: HashMap<u64, u32, foldhash::fast::RandomState> = HashMap::default();
    let mut nan = false;
    let (keys, valid) = merged_keys(group, c, |dict, k| {
        Ok(dict.f64()?.get(k).map(|v| {
            nan |= v.is_nan();
            // Bits, not values: -0.0 and 0.0 stay apart, as in the plain form.
            *code_of.entry(v.to_bits()).or_insert_with(|| {
                values.push(v);
                values.len() as u32 - 1
            })
        }))
    })?;
    if nan || values.is_empty() || values.len() > FEW_FLOATS {
        return gathered(group, c);
    }
    let keys = PrimitiveArray::<u32>::new(ArrowDataType::UInt32, keys.into(), validity(valid));
    let dtype =
        ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(ArrowDataType::Float64), false);
    Ok(DictionaryArray::try_new(dtype, keys, PrimitiveArray::from_vec(values).boxed())?.boxed())
}

/// A text column as a dictionary array: the slices' dictionaries merged.
fn coded(group: &[Slice], c: usize) -> Result<Box<dyn Array>> {
    let mut merged: HashMap<&str, u32, foldhash::fast::RandomState> = HashMap::default();
    let mut values = MutableBinaryViewArray::<str>::new();
    let (keys, valid) = merged_keys(group, c, |dict, k| {
        Ok(dict.str()?.get(k).map(|t| {
            *merged.entry(t).or_insert_with(|| {
                values.push_value(t);
                (values.len() - 1) as u32
            })
        }))
    })?;
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
    let keys = PrimitiveArray::<u32>::new(ArrowDataType::UInt32, keys.into(), validity(valid));
    let dtype = ArrowDataType::Dictionary(
        IntegerType::UInt32,
        Box::new(ArrowDataType::Utf8View),
        false,
    );
    Ok(DictionaryArray::try_new(dtype, keys, values.boxed())?.boxed())
}
