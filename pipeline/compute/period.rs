//! One period's ratings aggregated in one pass over its files: each file
//! read once as codes and fingerprints (`codes.rs`), side by side; its
//! fingerprints become its distinct-count keys (`distinct.rs`) at once, and
//! the period's cube is one polars group-by over every row's six key codes
//! packed into one integer, its texts put back on the groups only.
//!
//! Before, the period's files were read twice as text: once by a streaming
//! group-by over six text keys (each row's keys row-encoded and compared as
//! strings), once for the fingerprints (each row's ids hashed).

use std::path::PathBuf;

use anyhow::Result;
use polars::prelude::{col, Column, DataFrame, IntoColumn, IntoLazy, NamedFrom, Series};
use rayon::prelude::*;

use super::clusters::{self, Lookup};
use super::codes::{self, Columns, Dicts, FileColumns};
use super::distinct::{self, FileKeys};
use super::exclude::Excluded;
use super::integrity;
use super::method_cells;
use super::rates::{self, CUBE_KEYS};
use crate::warehouse::{Manifest, Warehouse};

/// Read as fingerprints: the response id, then the rater key.
const PRINTS: [&str; 2] = ["response_id", "rater_key"];

/// The columns the cube counts, then the day (`clusters::rows`).
const VALUES: [&str; 4] = ["valid", "satisfied", "score", "rated_at"];

/// A period's cube, its files' fingerprints, the dictionaries of their
/// codes, its cells' cluster sums and post-stratified variance pieces
/// (`clusters.rs`), its method cells (`method_cells.rs`) and the cells a
/// rater key may have stuffed (`integrity::stuffed_cells`).
pub struct Period {
    pub cube: DataFrame,
    pub keys: Vec<FileKeys>,
    pub dicts: Dicts,
    pub sums: DataFrame,
    pub ps: DataFrame,
    pub methods: DataFrame,
    pub suspects: DataFrame,
    /// The days (`rated_at`) a rater key may have rated too many subjects
    /// on (`integrity::busy_days`).
    pub busy_days: DataFrame,
}

/// Aggregates one period partition's files, each checked first as a scan
/// checks it.
pub fn aggregate(
    wh: &Warehouse,
    manifest: &Manifest,
    files: &[&String],
    lookup: &Lookup,
    excluded: &Excluded,
) -> Result<Period> {
    let paths = files
        .iter()
        .map(|f| wh.checked_file(manifest, f))
        .collect::<Result<Vec<_>>>()?;
    aggregate_paths(&paths, lookup, excluded)
}

fn aggregate_paths(paths: &[PathBuf], lookup: &Lookup, excluded: &Excluded) -> Result<Period> {
    let dicts = Dicts::new(CUBE_KEYS.len());
    let what = Columns {
        codes: &CUBE_KEYS,
        dicts: &dicts,
        prints: &PRINTS,
        values: &VALUES,
    };
    let read: Vec<(FileColumns, FileKeys, DataFrame)> = paths
        .par_iter()
        .map(|path| {
            let mut cols = codes::read(path, &what)?;
            excluded.filter(&mut cols, &dicts)?;
            let keys = distinct::file_keys(&cols);
            let rows = clusters::rows(&cols)?;
            // Only the codes and values are needed from here on.
            cols.prints = Vec::new();
            Ok((cols, keys, rows))
        })
        .collect::<Result<_>>()?;
    let mut cols = Vec::with_capacity(read.len());
    let mut keys = Vec::with_capacity(read.len());
    let mut rows = Vec::with_capacity(read.len());
    for (c, k, r) in read {
        cols.push(c);
        keys.push(k);
        rows.push(r.lazy());
    }
    let rows = polars::prelude::concat(rows, Default::default())?;
    let suspects = decoded_cells(
        integrity::stuffed_cells(rows.clone(), lookup.max_forms_per_key),
        &dicts,
    )?;
    let busy_days =
        integrity::busy_days(rows.clone(), lookup.max_subjects_per_key_day).collect()?;
    let (sums, ps, per_subject) = clusters::period_sums(rows, &dicts, lookup)?;
    let methods = method_cells::period_cells(&per_subject, &dicts, lookup)?;
    let cube = cube(cols, &dicts)?;
    Ok(Period {
        cube,
        keys,
        dicts,
        sums,
        ps,
        methods,
        suspects,
        busy_days,
    })
}

/// (subject_id, period) of cells given as subject and period codes.
fn decoded_cells(cells: polars::prelude::LazyFrame, dicts: &Dicts) -> Result<DataFrame> {
    let named = clusters::decode(cells, dicts, "s", 0, "subject_id")?;
    let named = clusters::decode(named, dicts, "p", 1, "period")?;
    Ok(named.select([col("subject_id"), col("period")]).collect()?)
}

/// The cube of the files' rows: grouped on the six key codes packed into
/// one integer (or on the six codes when they need more than 64 bits),
/// then each group's codes turned back into its texts.
fn cube(files: Vec<FileColumns>, dicts: &Dicts) -> Result<DataFrame> {
    let bits: Vec<u32> = (0..CUBE_KEYS.len())
        .map(|i| width(dicts.get(i).len()))
        .collect();
    let packed = bits.iter().sum::<u32>() <= 64;
    let by: Vec<String> = if packed {
        vec!["key".into()]
    } else {
        (0..CUBE_KEYS.len()).map(|i| format!("k{i}")).collect()
    };
    let mut frames = Vec::with_capacity(files.len());
    for file in files {
        let mut columns = key_columns(&file, &bits, packed);
        columns.extend(file.values.into_iter().map(IntoColumn::into_column));
        frames.push(DataFrame::new_infer_height(columns)?.lazy());
    }
    let grouped = polars::prelude::concat(frames, Default::default())?
        .group_by(by.iter().map(|n| col(n.as_str())).collect::<Vec<_>>())
        .agg(rates::cube_counts())
        .collect()?;
    let codes = group_codes(&grouped, &bits, packed)?;
    let mut out: Vec<Column> = codes
        .into_iter()
        .zip(CUBE_KEYS)
        .enumerate()
        .map(|(i, (c, name))| dicts.get(i).series(name, c.into_iter()).into_column())
        .collect();
    out.extend(grouped.drop_many(&by).into_columns());
    Ok(DataFrame::new_infer_height(out)?)
}

/// A file's key columns: the codes packed (the first column in the highest
/// bits), or the six code columns.
fn key_columns(file: &FileColumns, bits: &[u32], packed: bool) -> Vec<Column> {
    if !packed {
        return file
            .codes
            .iter()
            .enumerate()
            .map(|(i, c)| Series::new(format!("k{i}").into(), c.as_slice()).into_column())
            .collect();
    }
    let mut key = vec![0u64; file.rows];
    for (codes, &b) in file.codes.iter().zip(bits) {
        for (k, &c) in key.iter_mut().zip(codes) {
            *k = (*k << b) | u64::from(c);
        }
    }
    vec![Series::new("key".into(), key).into_column()]
}

/// Each group's code in each key column.
fn group_codes(grouped: &DataFrame, bits: &[u32], packed: bool) -> Result<Vec<Vec<u32>>> {
    if !packed {
        return (0..bits.len())
            .map(|i| {
                let c = grouped.column(&format!("k{i}"))?.u32()?;
                Ok(c.into_no_null_iter().collect())
            })
            .collect();
    }
    let key = grouped.column("key")?.u64()?;
    let mut out = vec![Vec::new(); bits.len()];
    // The last column packed is in the lowest bits.
    let mut shift = 0;
    for (i, &b) in bits.iter().enumerate().rev() {
        let mask = (1u64 << b) - 1;
        out[i] = key
            .into_no_null_iter()
            .map(|k| ((k >> shift) & mask) as u32)
            .collect();
        shift += b;
    }
    Ok(out)
}

/// Bits for codes below `n` (at least one; a dictionary has under 2³²).
pub(super) fn width(n: usize) -> u32 {
    (usize::BITS - n.saturating_sub(1).leading_zeros()).max(1)
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::*;

    /// Two files of one period, one with its key columns dictionary-encoded
    /// and one where an item per row makes polars write them plain, nulls
    /// in the keys and values: the cube from codes is the cube polars'
    /// group-by makes of the same files' texts, and the distinct responses
    /// per group are the ones `n_unique` counts.
    #[test]
    fn the_cube_from_codes_is_the_cube_of_the_texts() {
        let dir = tempfile::tempdir().unwrap();
        let n = 3000usize;
        let file = |plain: bool| {
            let text = |f: &dyn Fn(usize) -> Option<String>| -> Vec<Option<String>> {
                (0..n).map(f).collect()
            };
            df!(
                "subject_id" => text(&|i| (i % 7 != 0).then(|| format!("S{}", i % 13))),
                "period" => text(&|_| Some("2012Q1".into())),
                "rater_category" => text(&|i| Some(["服务对象", "普通群众"][i % 2].into())),
                "method" => text(&|i| (i % 11 != 0).then(|| "群众测评".into())),
                "channel" => text(&|i| Some(format!("c{}", i % 3))),
                "item" => text(&|i| Some(if plain { format!("item{i}") } else { format!("item{}", i % 4) })),
                "response_id" => text(&|i| (i % 17 != 0).then(|| format!("R{}", if plain { i } else { i / 3 }))),
                "rater_key" => text(&|i| (i % 19 != 0).then(|| format!("K{}", i / 5))),
                "valid" => (0..n).map(|i| i % 5 != 0).collect::<Vec<_>>(),
                "satisfied" => (0..n).map(|i| (i % 9 != 0).then_some(i % 2 == 0)).collect::<Vec<_>>(),
                "score" => (0..n).map(|i| (i % 6 != 0).then_some((i % 4) as f64 * 20.0)).collect::<Vec<_>>(),
                "rated_at" => (0..n).map(|i| 15_340 + (i % 30) as i32).collect::<Vec<_>>(),
            )
            .unwrap()
            .lazy()
            .with_column(col("rated_at").cast(DataType::Date))
            .collect()
            .unwrap()
        };
        let paths: Vec<PathBuf> = [false, true]
            .iter()
            .map(|&plain| {
                let path = dir.path().join(format!("{plain}.parquet"));
                let mut df = file(plain);
                crate::warehouse::write_parquet(&mut df, &path).unwrap();
                path
            })
            .collect();
        let period =
            aggregate_paths(&paths, &Lookup::default(), &super::Excluded::default()).unwrap();
        let keys: Vec<Expr> = CUBE_KEYS.map(col).to_vec();
        let sorted = |lf: LazyFrame| {
            lf.sort_by_exprs(
                keys.clone(),
                SortMultipleOptions::default().with_nulls_last(true),
            )
            .collect()
            .unwrap()
        };
        let scan = LazyFrame::scan_parquet_files(
            paths
                .iter()
                .map(|p| PlRefPath::new(p.to_string_lossy().as_ref()))
                .collect(),
            ScanArgsParquet::default(),
        )
        .unwrap();
        let expected = sorted(rates::cube(scan.clone()));
        let got = sorted(period.cube.clone().lazy());
        assert!(got.equals_missing(&expected), "{got}\n{expected}");

        let mut distinct = distinct::Distinct::default();
        distinct.add_period(period.keys, &period.dicts);
        let got = sorted_groups(distinct.raters_by_category().unwrap());
        let expected = sorted_groups(
            scan.clone()
                .group_by([col("subject_id"), col("period"), col("rater_category")])
                .agg([col("response_id")
                    .n_unique()
                    .cast(DataType::UInt32)
                    .alias("raters")])
                .collect()
                .unwrap(),
        );
        assert!(got.equals_missing(&expected), "{got}\n{expected}");
        let people = scan
            .select([col("rater_key").n_unique()])
            .collect()
            .unwrap();
        let people = people
            .column("rater_key")
            .unwrap()
            .u32()
            .unwrap()
            .get(0)
            .unwrap();
        let got = distinct.people().unwrap();
        assert_eq!(
            got.column("people_identified")
                .unwrap()
                .u32()
                .unwrap()
                .get(0),
            Some(people)
        );
    }

    fn sorted_groups(df: DataFrame) -> DataFrame {
        df.lazy()
            .sort_by_exprs(
                [col("subject_id"), col("period"), col("rater_category")],
                SortMultipleOptions::default().with_nulls_last(true),
            )
            .collect()
            .unwrap()
    }
}
