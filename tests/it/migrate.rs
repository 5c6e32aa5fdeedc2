//! `pingyi migrate` on a warehouse the previous version wrote
//! (`tests/fixtures/format1/`, README there): refused by ingest until
//! migrated, migrated under the commit protocol, and its metric tables
//! computed again to exactly what the previous version computed.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::DataFrame;
use serde_json::Value;

use crate::util::{repo, Dir};

/// A copy of the format-1 fixture in a temp dir.
fn format1() -> Dir {
    let dir = Dir::new();
    copy_tree(&repo().join("tests/fixtures/format1"), dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn manifest(dir: &Dir) -> Value {
    let text = std::fs::read_to_string(dir.join("warehouse/MANIFEST.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every metric table of a warehouse, read from the files its manifest lists.
fn metric_tables(root: &Path) -> BTreeMap<String, DataFrame> {
    let text = std::fs::read_to_string(root.join("MANIFEST.json")).unwrap();
    let m: Value = serde_json::from_str(&text).unwrap();
    let mut out = BTreeMap::new();
    for (table, files) in m["tables"].as_object().unwrap() {
        let files = files.as_array().unwrap();
        let first = files[0].as_str().unwrap();
        if !first.starts_with("metrics/") {
            continue;
        }
        assert_eq!(files.len(), 1, "{table}: one file per metric table");
        let df = pingyi::warehouse::read_parquet(&root.join(first)).unwrap();
        out.insert(table.clone(), df);
    }
    out
}

const CONFIG: [&str; 2] = ["--config", "pingyi.toml"];

/// `pingyi query SQL` as CSV.
fn query_csv(dir: &Dir, sql: &str) -> String {
    let args: Vec<&str> = ["query"]
        .into_iter()
        .chain(CONFIG)
        .chain(["--format", "csv", sql])
        .collect();
    dir.ok(&args).stdout
}

#[test]
fn ingest_compute_and_run_refuse_a_format1_warehouse_with_the_fix_and_change_nothing() {
    let dir = format1();
    let before = std::fs::read(dir.join("warehouse/MANIFEST.json")).unwrap();
    let r = dir.run(&["ingest", "--config", "pingyi.toml", "later"]);
    assert_eq!(r.code, 8, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("is format 1"), "{}", r.stderr);
    assert!(r.stderr.contains("pingyi migrate"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let after = std::fs::read(dir.join("warehouse/MANIFEST.json")).unwrap();
    assert_eq!(before, after, "the manifest is untouched");
    // compute reads the column format 2 added: refused the same way.
    let r = dir.run(&[
        "compute",
        "--config",
        "pingyi.toml",
        "--as-of",
        "2011-12-31",
    ]);
    assert_eq!(r.code, 8, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("pingyi migrate"), "{}", r.stderr);
    assert_eq!(
        before,
        std::fs::read(dir.join("warehouse/MANIFEST.json")).unwrap()
    );
    // `run` stops at its ingest stage the same way.
    let r = dir.run(&["run", "--config", "pingyi.toml", "--as-of", "2011-12-31"]);
    assert_eq!(r.code, 8, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        before,
        std::fs::read(dir.join("warehouse/MANIFEST.json")).unwrap()
    );
}

#[test]
fn a_migrated_warehouse_computes_exactly_the_metric_tables_the_previous_version_did() {
    let dir = format1();
    let previous = metric_tables(&dir.join("warehouse"));
    assert_eq!(previous.len(), 16, "{:?}", previous.keys());
    let old_files = manifest(&dir)["tables"]["ratings"].clone();

    let r = dir.ok(&["migrate", "--config", "pingyi.toml"]);
    assert!(r.stdout.contains("from format 1 to 2"), "{}", r.stdout);
    let m = manifest(&dir);
    assert_eq!(m["format"], 2);
    let new_files = m["tables"]["ratings"].as_array().unwrap();
    assert_eq!(new_files.len(), old_files.as_array().unwrap().len());
    for (old, new) in old_files.as_array().unwrap().iter().zip(new_files) {
        let (old, new) = (old.as_str().unwrap(), new.as_str().unwrap());
        assert!(new.ends_with(".f2.parquet"), "{new}");
        assert!(
            !dir.join(&format!("warehouse/{old}")).exists(),
            "{old} removed after the commit"
        );
    }
    dir.ok(&["status", "--config", "pingyi.toml", "--verify"]);

    // Every row keyed, each key the one ingest would store for its id.
    let out = query_csv(
        &dir,
        "select response_id, response_key from ratings order by source_file, source_line",
    );
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert!(rows.len() > 2800, "{} rows", rows.len());
    for row in rows {
        let (id, key) = row.rsplit_once(',').unwrap();
        let want = pingyi::warehouse::keys::response_key(Some(id.trim_matches('"'))).unwrap();
        assert_eq!(key.parse::<i64>().unwrap(), want, "{row}");
    }

    dir.ok(&[
        "compute",
        "--config",
        "pingyi.toml",
        "--as-of",
        "2011-12-31",
    ]);
    let now = metric_tables(&dir.join("warehouse"));
    assert_eq!(
        now.keys().collect::<Vec<_>>(),
        previous.keys().collect::<Vec<_>>()
    );
    for (table, before) in &previous {
        let after = &now[table];
        assert_eq!(before.schema(), after.schema(), "{table}: columns");
        assert!(
            before.equals_missing(after),
            "{table} differs after the migration:\nbefore {before}\nafter {after}"
        );
    }

    // Twice is once: nothing left to do, nothing changed.
    let before = std::fs::read(dir.join("warehouse/MANIFEST.json")).unwrap();
    let r = dir.ok(&["migrate", "--config", "pingyi.toml"]);
    assert!(r.stdout.contains("already format 2"), "{}", r.stdout);
    assert_eq!(
        before,
        std::fs::read(dir.join("warehouse/MANIFEST.json")).unwrap()
    );

    // New batches go in beside the rewritten files, and read as one table.
    let r = dir.run(&["ingest", "--config", "pingyi.toml", "later"]);
    assert!(r.code == 0 || r.code == 3, "{}\n{}", r.stdout, r.stderr);
    let out = query_csv(
        &dir,
        "select count(*) as n, count(distinct response_id) as ids, \
         count(distinct response_key) as keys, count(response_key) as keyed from ratings",
    );
    let fields: Vec<i64> = out
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(fields[0] > 2896, "{out}");
    assert_eq!(fields[1], fields[2], "one key per id: {out}");
    assert_eq!(fields[0], fields[3], "every row keyed: {out}");
}

#[test]
fn a_warehouse_of_a_newer_format_is_refused_by_every_command() {
    let dir = format1();
    let path = dir.join("warehouse/MANIFEST.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("\"format\": 1", "\"format\": 3", 1)).unwrap();
    for args in [
        &["status"][..],
        &["compute", "--as-of", "2011-12-31"],
        &["migrate"],
        &["query", "select 1"],
    ] {
        let args: Vec<&str> = args.iter().copied().chain(CONFIG).collect();
        let r = dir.run(&args);
        assert_eq!(r.code, 8, "{args:?}: {}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("newer pingyi"), "{args:?}: {}", r.stderr);
    }
}
