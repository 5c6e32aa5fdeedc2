//! The writer against polars' own: the same rows, statistics and bytes
//! (text), or the same rows and statistics in fewer bytes (numbers).

use polars::prelude::*;

use super::*;
use crate::ingest::piece::Cells;

fn coded(dict: &[Option<&str>], keys: Vec<u32>) -> Cells {
    Cells::Coded {
        dict: Series::new("d".into(), dict),
        keys,
    }
}

/// `scores` plain, or coded against a dictionary of their values in
/// descending order after an unused 999 and a null entry.
fn score_cells(scores: &[Option<f64>], coded: bool) -> Cells {
    if !coded {
        return Cells::Plain(Column::new("score".into(), scores));
    }
    let mut dict: Vec<Option<f64>> = vec![Some(999.0), None];
    let mut distinct: Vec<f64> = scores.iter().flatten().copied().collect();
    distinct.sort_by(|a, b| b.total_cmp(a));
    distinct.dedup();
    dict.extend(distinct.into_iter().map(Some));
    let keys = scores
        .iter()
        .map(|v| dict.iter().position(|d| d == v).unwrap() as u32)
        .collect();
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
    a_score_and_source_lines_written_smaller(false);
}

/// The same from a score coded per block, as validation leaves it: each
/// block's dictionary in its own order, with a null entry and an entry
/// no row uses (which must not reach the statistics).
#[test]
fn a_coded_score_is_written_as_the_plain_one() {
    a_score_and_source_lines_written_smaller(true);
}

fn a_score_and_source_lines_written_smaller(coded_score: bool) {
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
                ("score", score_cells(&scores[r.clone()], coded_score)),
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
        df!("score" => &scores[r.clone()], "line" => &lines[r.clone()], "t" => &texts[r]).unwrap()
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
