//! The metric tables as SQL models (`queries/metrics/*.sql`): DuckDB's output
//! of every model equals `pingyi compute`'s table row for row (sorted on the
//! model's key, floats within 1e-9), on the sample warehouse and on a
//! generated warehouse of about a million ratings; Spark's the same when
//! `PINGYI_SPARK_PYTHON` names a Python with pyspark (opt-in: README).

use std::path::Path;
use std::process::Command;

use crate::util::{engines_python, repo, sample_warehouse, sql_names, Dir};

/// The models in `queries/metrics`, by name.
fn models() -> Vec<String> {
    sql_names(&repo().join("queries/metrics"))
}

/// Runs `RUNNER --compute --check` over `warehouse` and insists that every
/// model ran and equals pingyi's table; returns the runner's report.
fn compute_and_check(
    python: &Path,
    runner: &str,
    warehouse: &Path,
    config: &Path,
    out: &Path,
) -> String {
    let done = Command::new(python)
        .arg(repo().join("queries/engines").join(runner))
        .arg("--warehouse")
        .arg(warehouse)
        .arg("--config")
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(["--compute", "--check", "--as-of", "2012-12-31"])
        .output()
        .expect("run the engine");
    let stdout = String::from_utf8_lossy(&done.stdout).into_owned();
    assert!(
        done.status.success(),
        "{runner} --compute differs from pingyi compute:\n{stdout}\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
    for name in models() {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("no line for model {name}:\n{stdout}"));
        assert!(line.ends_with("same as pingyi"), "{line}");
        assert!(
            out.join(format!("{name}.parquet")).exists() || out.join(&name).is_dir(),
            "{name} not written under {}",
            out.display()
        );
    }
    stdout
}

#[test]
fn every_metric_table_has_a_model_with_a_header() {
    // One model per entry of the metrics registry, and no other, except
    // `integrity` (issue 38): its straight-lining test needs the binomial
    // tail, a sum over a row generator with lgamma that DuckDB has and
    // Spark's ANSI mode does not share. Not written yet (README says so).
    let names = models();
    let mut registry = pingyi::compute::tables::names();
    registry.retain(|n| *n != "integrity");
    registry.sort_unstable();
    assert_eq!(names, registry);
    for name in names {
        let text =
            std::fs::read_to_string(repo().join(format!("queries/metrics/{name}.sql"))).unwrap();
        for field in [
            "-- inputs:",
            "-- output:",
            "-- grain:",
            "-- key:",
            "-- pingyi:",
        ] {
            assert!(text.contains(field), "{name}.sql has no {field} line");
        }
        assert!(
            !text.trim_end().ends_with(';'),
            "{name}.sql: one statement, no trailing `;` (Spark's sql() takes none)"
        );
        // The header's output columns are the registry's declaration.
        let output: Vec<&str> = text
            .lines()
            .find_map(|l| l.strip_prefix("-- output:"))
            .unwrap()
            .split(',')
            .map(str::trim)
            .collect();
        let declared = pingyi::compute::tables::metrics()
            .into_iter()
            .find(|m| m.table.name == name)
            .unwrap()
            .table;
        let declared: Vec<&str> = declared.columns.iter().map(|c| c.name).collect();
        assert_eq!(output, declared, "{name}.sql's output header");
    }
}

#[test]
fn duckdb_computes_the_sample_metrics_as_pingyi_does() {
    let d = Dir::new();
    let wh = sample_warehouse();
    d.write("pingyi.toml", &crate::util::sample_config("unused"));
    compute_and_check(
        &engines_python(),
        "duckdb_run.py",
        wh,
        &d.join("pingyi.toml"),
        &d.join("m"),
    );
    // The comparison covers the breach rule's edges: the sample has periods
    // at exactly 60% and 70%, which are not below.
    let edges = crate::util::county()
        .ok(&[
            "query",
            "--format",
            "csv",
            "select count(*) as n from subject_period where rate = 0.6 or rate = 0.7",
        ])
        .stdout;
    let n: u64 = edges.lines().nth(1).unwrap().trim().parse().unwrap();
    assert!(
        n > 0,
        "no rate at exactly 60% or 70% in the sample: {edges}"
    );
}

#[test]
fn duckdb_opens_the_same_cases_with_a_case_sheet_as_pingyi_does() {
    // The sample has no breach on certain evidence: the cases model is
    // checked on two certain cases (a county body due on the organization
    // department, a village cadre opened in the National Day week), one of
    // them held according to an ingested case sheet.
    let d = crate::cases::warehouse();
    d.write(
        "sheet.csv",
        "案件编号,状态,谈话日期,谈话结果,不予谈话理由,谈话人\n2012-A,已谈话,2012-07-10,已诫勉,,张部长\n",
    );
    d.ok(&["ingest", "sheet.csv"]);
    d.ok(&["compute"]);
    let report = compute_and_check(
        &engines_python(),
        "duckdb_run.py",
        &d.join("wh"),
        &d.join("pingyi.toml"),
        &d.join("m"),
    );
    let line = report
        .lines()
        .find(|l| l.starts_with("cases "))
        .expect("a cases line");
    assert_eq!(line.split_whitespace().nth(1), Some("2"), "{line}");
}

#[test]
fn the_check_fails_when_a_rule_differs_from_the_one_pingyi_computed_with() {
    // The same warehouse, a configuration whose first rule is 65%, not 60%:
    // breaches must differ and the runner must say so in its exit status.
    let d = Dir::new();
    d.write(
        "pingyi.toml",
        &format!(
            "{}\n[breach]\nrules = [{{ below = 0.65, times = 1 }}, {{ below = 0.70, times = 2 }}]\n",
            crate::util::sample_config("unused")
        ),
    );
    let done = Command::new(engines_python())
        .arg(repo().join("queries/engines/duckdb_run.py"))
        .arg("--warehouse")
        .arg(sample_warehouse())
        .arg("--config")
        .arg(d.join("pingyi.toml"))
        .arg("--out")
        .arg(d.join("m"))
        .args(["--compute", "--check", "--as-of", "2012-12-31"])
        .output()
        .expect("run the engine");
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert_ne!(done.status.code(), Some(0), "{stdout}");
    let breaches = stdout.lines().find(|l| l.starts_with("breaches")).unwrap();
    assert!(breaches.contains("DIFFERENT"), "{stdout}");
    let grades = stdout.lines().find(|l| l.starts_with("grades")).unwrap();
    assert!(grades.ends_with("same as pingyi"), "{stdout}");
}

#[test]
fn a_model_calling_an_unknown_macro_is_refused_with_its_file_and_the_known_ones() {
    let d = Dir::new();
    std::fs::create_dir(d.join("models")).unwrap();
    d.write(
        "models/rates.sql",
        "-- inputs: ratings\nselect {{ wilson_middle(rate, n) }} as centre from ratings",
    );
    let done = Command::new(engines_python())
        .arg(repo().join("queries/engines/duckdb_run.py"))
        .arg("--warehouse")
        .arg(sample_warehouse())
        .arg("--out")
        .arg(d.join("m"))
        .arg("--compute")
        .arg("--models")
        .arg(d.join("models"))
        .output()
        .expect("run the engine");
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("rates.sql: no macro wilson_middle"),
        "{stderr}"
    );
    assert!(stderr.contains("wilson_centre, wilson_half"), "{stderr}");
    assert!(!stderr.contains("Traceback"), "{stderr}");
}

#[test]
fn duckdb_computes_a_million_ratings_as_pingyi_does() {
    let d = Dir::new();
    d.ok(&["generate", "--scale", "1000000", "--out", "gen"]);
    d.write(
        "pingyi.toml",
        "[paths]\ninbox = \"gen/inbox\"\nwarehouse = \"wh\"\n\
         [privacy]\nrater_key = \"test\"\n[report]\nas_of = \"2012-12-31\"\n",
    );
    // The generated exports carry planted faults: ingest quarantines those
    // rows (exit 3) or refuses a file whole (exit 4); the rest is committed.
    let r = d.run(&["ingest"]);
    assert!([0, 3, 4].contains(&r.code), "{}\n{}", r.stdout, r.stderr);
    d.ok(&["compute"]);
    let report = compute_and_check(
        &engines_python(),
        "duckdb_run.py",
        &d.join("wh"),
        &d.join("pingyi.toml"),
        &d.join("m"),
    );
    let rows: u64 = report
        .lines()
        .filter(|l| l.starts_with("subject_period"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    assert!(rows > 10_000, "a big warehouse: {report}");
}

/// Opt-in, so it shows as ignored rather than passing unrun:
/// `PINGYI_SPARK_PYTHON=/path/to/venv/bin/python cargo test --test it
/// metrics_sql::spark -- --ignored` (pyspark from
/// queries/engines/requirements-spark.txt, Java 17+). Run with --ignored
/// but without the variable, it fails and says what is missing.
#[test]
#[ignore = "opt-in Spark parity: needs pyspark and Java; see README (Metric models)"]
fn spark_computes_the_sample_metrics_as_pingyi_does() {
    let python = std::env::var_os("PINGYI_SPARK_PYTHON").expect(
        "set PINGYI_SPARK_PYTHON to a Python with pyspark (queries/engines/requirements-spark.txt)",
    );
    let d = Dir::new();
    d.write("pingyi.toml", &crate::util::sample_config("unused"));
    compute_and_check(
        Path::new(&python),
        "spark_run.py",
        sample_warehouse(),
        &d.join("pingyi.toml"),
        &d.join("m"),
    );
}
