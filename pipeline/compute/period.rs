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

use super::clusters;
use super::codes::{self, Columns, Dicts, FileColumns};
use super::distinct::{self, FileKeys};
use super::exclude::Excluded;
use super::integrity::pass::{self as checks, Findings};
use super::lookup::Lookup;
use super::method_cells;
use super::rates::{self, CUBE_KEYS};
use super::responses::Responses;
use super::rows::{Rows, CODED, RATER_KEY};
use super::timed::timed;
use crate::warehouse::{Manifest, Warehouse};

/// Read as fingerprints: the response id (the rater key's come from its
/// codes' dictionary).
const PRINTS: [&str; 1] = ["response_id"];

/// The columns the cube counts, then the day (`rows.rs`).
const VALUES: [&str; 4] = ["valid", "satisfied", "score", "rated_at"];

/// A period's cube, its files' fingerprints, the dictionaries of their
/// codes, its cells' cluster sums and post-stratified variance pieces
/// (`clusters.rs`), its method cells (`method_cells.rs`) and the integrity
/// checks counted on its codes (`integrity::pass`).
pub struct Period {
    pub cube: DataFrame,
    pub keys: Vec<FileKeys>,
    pub dicts: Dicts,
    pub sums: DataFrame,
    pub ps: DataFrame,
    pub methods: DataFrame,
    pub findings: Findings,
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
    let dicts = Dicts::new(CODED.len());
    let what = Columns {
        codes: &CODED,
        dicts: &dicts,
        prints: &PRINTS,
        values: &VALUES,
    };
    // Per file: every rating as the walks read it (the integrity checks
    // see them all), and the columns the cube and distinct counts read
    // (without the excluded ones).
    let started = std::time::Instant::now();
    let read: Vec<(FileColumns, FileKeys, Rows)> = paths
        .par_iter()
        .map(|path| {
            let mut cols = codes::read(path, &what)?;
            let raters = dicts.get(RATER_KEY).prints(&cols.codes[RATER_KEY]);
            cols.prints.push(raters);
            let keep = excluded.keep(&cols, &dicts);
            let rows = Rows::of_file(&cols, &dicts, keep.as_deref())?;
            if let Some(keep) = &keep {
                Excluded::apply(&mut cols, keep)?;
            }
            let keys = distinct::file_keys(&cols);
            // Only the codes and values are needed from here on.
            cols.prints = Vec::new();
            Ok((cols, keys, rows))
        })
        .collect::<Result<_>>()?;
    let mut cols = Vec::with_capacity(read.len());
    let mut keys = Vec::with_capacity(read.len());
    let mut rows = Rows::default();
    for (c, k, r) in read {
        cols.push(c);
        keys.push(k);
        rows.append(r);
    }
    let responses = Responses::new(&rows.r);
    let seconds = started.elapsed().as_secs_f64();
    tracing::debug!(part = "read", seconds, "period part");
    // The checks, the cluster sums and the cube read the same rows and
    // nothing of each other's, and each but the cube is one thread's walk:
    // side by side they keep both cores busy (10M, per period: about
    // 0.57 s one after the other).
    let ((findings, cube), sums) = rayon::join(
        || {
            rayon::join(
                || {
                    timed("integrity checks", || {
                        checks::findings(&rows, &responses, &dicts, lookup)
                    })
                },
                || timed("cube", || cube(cols, &dicts)),
            )
        },
        || -> Result<_> {
            let (sums, ps, per_subject) = clusters::period_sums(&rows, &responses, &dicts, lookup)?;
            let methods = timed("method cells", || {
                method_cells::period_cells(&per_subject, &dicts, lookup)
            })?;
            Ok((sums, ps, methods))
        },
    );
    let (findings, cube, (sums, ps, methods)) = (findings?, cube?, sums?);
    Ok(Period {
        cube,
        keys,
        dicts,
        sums,
        ps,
        methods,
        findings,
    })
}

/// The cube of the files' rows: grouped on the six key codes packed into
/// one integer (or on the six codes when they need more than 64 bits),
/// then each group's codes turned back into its texts.
fn cube(files: Vec<FileColumns>, dicts: &Dicts) -> Result<DataFrame> {
    // The cube's keys are the first of the columns read as codes.
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
        return file.codes[..bits.len()]
            .iter()
            .enumerate()
            .map(|(i, c)| Series::new(format!("k{i}").into(), c.as_slice()).into_column())
            .collect();
    }
    let mut key = vec![0u64; file.rows];
    for (codes, &b) in file.codes[..bits.len()].iter().zip(bits) {
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
    /// group-by makes of the same files' texts, the distinct responses
    /// per group are the ones `n_unique` counts, and the integrity checks
    /// counted on codes are the ones counted on the texts.
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
                "rater_key" => text(&|i| (i % 19 != 0).then(|| format!("K{}", i / 5 % 150))),
                "rated_time" => text(&|i| (i % 4 == 0).then(|| format!("{:02}:{:02}:{:02}", i % 24, i % 60, i * 7 % 60))),
                "rating" => text(&|i| Some(if i / 3 % 2 == 0 { "满意" } else { ["满意", "不满意"][i % 2] }.into())),
                "collector" => text(&|i| (i % 23 != 0).then(|| format!("C{}", i / 3 % 4))),
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
        let lookup = Lookup {
            max_forms_per_key: 1,
            max_subjects_per_key_day: 1,
            top_label: "满意".into(),
            straight_min_items: 2,
            ..Default::default()
        };
        let period = aggregate_paths(&paths, &lookup, &super::Excluded::default()).unwrap();
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
        same_findings(&period.findings, scan.clone());
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

    /// The pass's findings (limits 1 form, 1 subject a day, 2 items) against
    /// the same checks grouped on the texts.
    fn same_findings(found: &Findings, scan: LazyFrame) {
        let part = |at: i64| {
            col("rated_time")
                .str()
                .slice(lit(at), lit(2))
                .cast(DataType::Int64)
        };
        let day = col("rated_at").cast(DataType::Int32).cast(DataType::Int64) * lit(86_400i64);
        let stamp = when(col("rated_time").is_null())
            .then(day.clone() * lit(2i64))
            .otherwise(
                (day + part(0) * lit(3600i64) + part(3) * lit(60i64) + part(6)) * lit(2i64)
                    + lit(1i64),
            );
        let known = scan.clone().filter(col("rater_key").is_not_null());
        let counted = |by: &[&str], distinct: &str| {
            known
                .clone()
                .group_by(by.iter().map(|c| col(*c)).collect::<Vec<_>>())
                .agg([
                    col(distinct).n_unique().alias("n"),
                    stamp.clone().min().alias("first"),
                    stamp.clone().max().alias("last"),
                ])
                .filter(col("n").gt(lit(1u32)))
        };
        let in_order = |lf: LazyFrame, by: &[&str]| {
            lf.sort(
                by.to_vec(),
                SortMultipleOptions::default().with_nulls_last(true),
            )
            .collect()
            .unwrap()
        };
        let cell = ["rater_key", "subject_id", "period"];
        let expected = in_order(counted(&cell, "response_id"), &cell);
        let got = in_order(found.stuffed.clone().lazy(), &cell);
        assert!(
            expected.height() > 0 && got.equals_missing(&expected),
            "{got}\n{expected}"
        );
        let day = ["rater_key", "rated_at"];
        let expected = in_order(counted(&day, "subject_id"), &day);
        let got = in_order(found.busy.clone().lazy(), &day);
        assert!(
            expected.height() > 0 && got.equals_missing(&expected),
            "{got}\n{expected}"
        );
        let forms = scan
            .filter(col("valid"))
            .group_by([col("response_id")])
            .agg([
                len().alias("m"),
                col("rating")
                    .eq(lit("满意"))
                    .cast(DataType::UInt32)
                    .sum()
                    .alias("top"),
                col("collector").drop_nulls().first(),
                col("channel").first(),
            ])
            .filter(col("m").gt_eq(lit(2u32)))
            .with_column(col("top").eq(col("m")).alias("all_top"));
        let by = |unit: &str, column: &str| {
            forms
                .clone()
                .filter(col(column).is_not_null())
                .group_by([col(column).alias("unit_id")])
                .agg([
                    len().cast(DataType::UInt32).alias("k"),
                    col("all_top").cast(DataType::UInt32).sum().alias("x"),
                ])
                .select([lit(unit).alias("unit"), col("unit_id"), col("k"), col("x")])
        };
        let units = ["unit", "unit_id"];
        let both = concat(
            [by("collector", "collector"), by("channel", "channel")],
            UnionArgs::default(),
        )
        .unwrap();
        let expected = in_order(both, &units);
        let got = in_order(found.straight.clone().lazy(), &units);
        let tops = expected
            .column("x")
            .unwrap()
            .u32()
            .unwrap()
            .sum()
            .unwrap_or(0);
        assert!(
            tops > 0 && got.equals_missing(&expected),
            "{got}\n{expected}"
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
