//! `pingyi query` with named queries: `--list`, `--name` with `--param`,
//! a `.sql` file, and the errors a user can act on. Each named query's
//! answer is checked against the metrics tables it summarizes.

use crate::util::{repo, split_csv, Dir};

fn csv(d: &Dir, args: &[&str]) -> Vec<Vec<String>> {
    let mut all = vec!["query", "--format", "csv", "--queries"];
    let q = repo().join("queries");
    let q = q.to_str().unwrap();
    all.push(q);
    all.extend_from_slice(args);
    d.ok(&all).stdout.lines().skip(1).map(split_csv).collect()
}

#[test]
fn named_queries_list_bind_and_answer_as_the_metrics_say() {
    let d = Dir::new();
    let inbox = repo().join("sample-data/inbox");
    let root = std::fs::read_to_string(repo().join("pingyi.toml")).unwrap();
    let rest = &root[root.find("[privacy]").unwrap()..];
    d.write(
        "pingyi.toml",
        &format!(
            "[paths]\ninbox = {:?}\nwarehouse = \"wh\"\n{rest}",
            inbox.display().to_string()
        ),
    );
    d.run(&["ingest"]);
    d.ok(&["compute"]);
    let q = repo().join("queries").display().to_string();

    let list = d.ok(&["query", "--list", "--queries", &q]).stdout;
    for name in [
        "breach_list",
        "lowest_rated_in_township",
        "overdue_rectifications",
        "satisfaction_by_rater_category",
    ] {
        assert!(list.contains(name), "{list}");
    }
    assert!(list.contains("params: township (乡镇 name"));

    let breaches = csv(&d, &["--name", "breach_list", "--param", "year=2012"]);
    assert_eq!(breaches.len(), 796, "as in the breaches table for 2012");
    let lowest = csv(
        &d,
        &[
            "--name",
            "lowest_rated_in_township",
            "--param",
            "township=金马镇",
            "--param",
            "year=2012",
            "--param",
            "n=7",
        ],
    );
    assert_eq!(lowest.len(), 7);
    let rates: Vec<f64> = lowest.iter().map(|r| r[5].parse().unwrap()).collect();
    assert!(rates.windows(2).all(|w| w[0] <= w[1]), "{rates:?}");
    let overdue = csv(
        &d,
        &[
            "--name",
            "overdue_rectifications",
            "--param",
            "as_of=2012-12-31",
        ],
    );
    let county = csv(
        &d,
        &["select overdue from ledger_summary where level = 'county'"],
    );
    assert_eq!(
        overdue.len().to_string(),
        county[0][0],
        "as ledger_summary counts"
    );

    // A .sql file runs as it is.
    assert!(!csv(
        &d,
        &[repo()
            .join("queries/satisfaction_by_rater_category.sql")
            .to_str()
            .unwrap()]
    )
    .is_empty());

    // Errors name what to do.
    let r = d.run(&[
        "query",
        "--queries",
        &q,
        "--name",
        "lowest_rated_in_township",
        "--param",
        "year=2012",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("needs --param township=VALUE"),
        "{}",
        r.stderr
    );
    let r = d.run(&[
        "query",
        "--queries",
        &q,
        "--name",
        "breach_list",
        "--param",
        "year=2012",
        "--param",
        "yaer=1",
    ]);
    assert!(
        r.stderr.contains("no parameter `yaer`; it takes: year"),
        "{}",
        r.stderr
    );
    let r = d.run(&["query", "--queries", &q, "--name", "no_such"]);
    assert!(
        r.stderr.contains("no named query `no_such`") && r.stderr.contains("breach_list"),
        "{}",
        r.stderr
    );
    let r = d.run(&[
        "query",
        "--queries",
        &q,
        "--name",
        "breach_list",
        "--param",
        "year",
    ]);
    assert!(
        r.stderr.contains("--param year: write it as KEY=VALUE"),
        "{}",
        r.stderr
    );
}
