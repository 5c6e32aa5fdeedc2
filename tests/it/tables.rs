//! The metrics registry (`compute::tables`) and what reads it: every table
//! in a computed warehouse has exactly its declared columns, order and
//! types; the data dictionary (`pingyi tables`, `docs/tables.md`) and the
//! README's table list are the registry's; the example metric `dont_know`
//! gives the figures worked out by hand.

use pingyi::compute::tables::{catalog, metrics, names};
use pingyi::warehouse::Warehouse;

use crate::compute::{query, warehouse};
use crate::util::{repo, sample_warehouse, Dir};

/// Each declared table of the warehouse at `root` against its files'
/// schema: names, order and types.
fn assert_declared(root: &std::path::Path) {
    let wh = Warehouse::at(root);
    let manifest = wh.manifest().unwrap();
    for t in catalog() {
        if !manifest.tables.contains_key(t.name) {
            assert!(
                !names().contains(&t.name),
                "metric table {} not written",
                t.name
            );
            continue;
        }
        let found = wh
            .scan(&manifest, t.name)
            .unwrap()
            .collect_schema()
            .unwrap();
        // As lists: a schema compares equal whatever its columns' order.
        let columns = |s: &polars::prelude::Schema| -> Vec<String> {
            s.iter().map(|(n, t)| format!("{n} {t}")).collect()
        };
        assert_eq!(
            columns(&found),
            columns(&t.schema()),
            "{} in {} differs from its declaration",
            t.name,
            root.display()
        );
    }
}

#[test]
fn computed_tables_have_their_declared_columns_and_types() {
    assert_declared(sample_warehouse());
    assert_declared(&warehouse("").join("wh"));
}

#[test]
fn an_empty_warehouse_computes_every_table_with_its_declared_columns() {
    // No rating, no roster: every builder still gives its declared columns.
    let d = Dir::new();
    d.write(
        "pingyi.toml",
        "[paths]\nwarehouse = \"wh\"\n[report]\nas_of = \"2012-12-31\"\n",
    );
    d.ok(&["compute"]);
    assert_declared(&d.join("wh"));
}

#[test]
fn compute_reports_every_registry_table_in_order() {
    let out = warehouse("").ok(&["compute"]).stdout;
    // Lines of `ROWS  TABLE`, then the as-of line.
    let listed: Vec<&str> = out
        .lines()
        .filter_map(|l| {
            let (rows, table) = l.trim().split_once("  ")?;
            rows.parse::<u64>().is_ok().then_some(table.trim())
        })
        .collect();
    assert_eq!(listed, names(), "{out}");
}

#[test]
fn the_data_dictionary_is_current() {
    let d = Dir::new();
    let generated = d.ok(&["tables", "--format", "markdown"]).stdout;
    let committed = std::fs::read_to_string(repo().join("docs/tables.md")).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/tables.md is stale: regenerate it with\n  cargo run -- tables --format markdown > docs/tables.md"
    );
    // Every declared column has a meaning worth printing.
    for t in catalog() {
        for c in &t.columns {
            assert!(
                !c.meaning.trim().is_empty(),
                "{}.{} has no meaning",
                t.name,
                c.name
            );
        }
    }
}

#[test]
fn the_dictionary_prints_one_table_and_names_the_known_ones_for_a_typo() {
    let d = Dir::new();
    let out = d.ok(&["tables", "dont_know"]).stdout;
    assert!(
        out.starts_with("dont_know — one row per subject × period"),
        "{out}"
    );
    assert!(out.contains("computed from: ratings"), "{out}");
    assert!(out.contains("share") && out.contains("f64"), "{out}");
    let r = d.run(&["tables", "subject_periods"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("no table `subject_periods`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("subject_period,"), "{}", r.stderr);
}

#[test]
fn the_readme_lists_the_registry_tables() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("the metrics tables once computed (")
        .expect("the README's Query section lists the metrics tables");
    let list = &readme[start..];
    let list = &list[..list.find(')').unwrap()];
    let mut listed: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
    let mut registry = names();
    listed.sort_unstable();
    registry.sort_unstable();
    assert_eq!(listed, registry, "the Query section's list");
    // The Compute section's table: one row per metric table.
    let compute = &readme[readme.find("## Compute").unwrap()..];
    let compute = &compute[..compute.find("\n## ").unwrap()];
    let mut rows: Vec<&str> = compute
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .collect();
    rows.sort_unstable();
    assert_eq!(rows, registry, "the Compute section's table");
}

#[test]
fn show_tables_lists_the_registry_and_the_manifest_views() {
    let d = crate::util::county();
    let out = d.ok(&["query", "--format", "csv", "SHOW TABLES"]).stdout;
    let shown: Vec<&str> = out.lines().skip(1).collect();
    for t in catalog() {
        assert!(
            shown.contains(&t.name),
            "{} not in SHOW TABLES: {out}",
            t.name
        );
    }
    assert!(
        shown.contains(&"batches") && shown.contains(&"runs"),
        "{out}"
    );
}

#[test]
fn dont_know_is_the_share_of_abstentions_worked_out_by_hand() {
    let d = warehouse("");
    let rows = query(
        &d,
        "select subject_id, period, answers, dont_know, share from dont_know \
         where subject_id in ('A', 'B', 'D', 'G') order by subject_id, period",
    );
    let share = |r: &Vec<String>| r[4].parse::<f64>().unwrap();
    // A, 2012Q1: 18 满意, 2 不满意, 2 不了解 → 2 of 22.
    assert_eq!(rows[0][..4], ["A", "2012Q1", "22", "2"]);
    assert!((share(&rows[0]) - 2.0 / 22.0).abs() < 1e-12);
    // A's other quarters and B: nobody abstained.
    assert_eq!(rows[1][..4], ["A", "2012Q2", "10", "0"]);
    assert_eq!(rows[3][..4], ["B", "2012Q1", "10", "0"]);
    assert_eq!(share(&rows[3]), 0.0);
    // D: all five abstained, so no rate in subject_period, but a share here.
    assert_eq!(rows[4][..4], ["D", "2012Q1", "5", "5"]);
    assert_eq!(share(&rows[4]), 1.0);
    // G: 10 service clients and 3 retired cadres, one of whom abstained.
    assert_eq!(rows[5][..4], ["G", "2012Q1", "13", "1"]);
    assert!((share(&rows[5]) - 1.0 / 13.0).abs() < 1e-12);
    assert_eq!(rows.len(), 6);
    // One row per subject-period, as subject_period has.
    let count = |t: &str| query(&d, &format!("select count(*) from {t}"))[0][0].clone();
    assert_eq!(count("dont_know"), count("subject_period"));
}

#[test]
fn every_declared_input_is_provided() {
    // The registry's inputs are what compute's rounds wait for: an input
    // nothing provides would leave its metric waiting forever.
    for m in metrics() {
        for i in m.inputs {
            let known = names().contains(i)
                || pingyi::compute::tables::SHARED.iter().any(|(n, _)| n == i)
                || ["ratings", "subjects", "suggestions", "case_records"].contains(i);
            assert!(known, "{} reads {i}, which nothing provides", m.table.name);
        }
    }
}
