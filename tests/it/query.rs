//! `pingyi query`: every named query in `queries/` answered on the sample
//! data and checked against what it summarizes (the metrics tables, or the
//! raw ratings recounted here), the same answers from DuckDB over the same
//! Parquet files, output formats, and the errors a user can act on.

use std::collections::BTreeMap;

use crate::util::{county, engines_python, repo, split_csv, Dir};

type Rows = Vec<BTreeMap<String, String>>;

/// A query's rows as column → value maps, through `--format csv`.
fn rows(d: &Dir, args: &[&str]) -> Rows {
    let q = repo().join("queries");
    let mut all = vec!["query", "--format", "csv", "--queries", q.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = d.ok(&all).stdout;
    let mut lines = out.lines();
    let header = split_csv(lines.next().unwrap_or_default());
    lines
        .map(|l| header.iter().cloned().zip(split_csv(l)).collect())
        .collect()
}

/// A named query with its `-- example:` parameters.
fn example(d: &Dir, name: &str) -> Rows {
    rows(d, &["--name", name, "--example"])
}

fn num(r: &BTreeMap<String, String>, c: &str) -> f64 {
    r[c].parse()
        .unwrap_or_else(|_| panic!("{c} = {:?} is not a number", r[c]))
}

fn one(d: &Dir, sql: &str) -> f64 {
    let r = rows(d, &[sql]);
    num(&r[0], "n")
}

fn sum(rows: &Rows, c: &str) -> f64 {
    rows.iter().map(|r| num(r, c)).sum()
}

#[test]
fn every_named_query_is_listed_with_its_parameters_and_example() {
    let d = county();
    let q = repo().join("queries").display().to_string();
    let list = d.ok(&["query", "--list", "--queries", &q]).stdout;
    let files = std::fs::read_dir(repo().join("queries")).unwrap();
    let names: Vec<String> = files
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "sql").then(|| p.file_stem().unwrap().to_string_lossy().into())
        })
        .collect();
    assert!(names.len() >= 12, "issue 7 asks for at least 12: {names:?}");
    for name in &names {
        assert!(
            list.contains(&format!("\n{name} ")) || list.starts_with(&format!("{name} ")),
            "{name} not listed:\n{list}"
        );
    }
    assert!(list.contains("params: township (乡镇 name"));
    assert!(list.contains("e.g. pingyi query --name breach_list --param year=2012"));
}

#[test]
fn breach_watchlist_and_rankings_answer_as_the_metrics_tables_say() {
    let d = county();
    let breaches = example(&d, "breach_list");
    let n = one(
        &d,
        "select count(*) as n from breaches where \"window\" = '2012'",
    );
    assert_eq!(breaches.len() as f64, n);
    assert!(breaches.iter().all(|r| r["action"] == "诫勉谈话"));

    let watch = example(&d, "watchlist");
    let n = one(
        &d,
        "select count(*) as n from watchlist where \"window\" = '2012'",
    );
    assert_eq!(watch.len() as f64, n);
    assert!(watch.iter().all(|r| num(r, "rate") < 0.70));

    // 8 townships ranked by the standardized rate, then the county bodies
    // (县直单位) unranked.
    let towns = example(&d, "township_ranking");
    assert_eq!(
        towns.len(),
        9,
        "the sample county has 8 townships and 县直单位"
    );
    let (ranked, apart) = towns.split_at(8);
    assert_eq!(apart[0]["township"], "县直单位");
    assert_eq!(apart[0]["place"], "");
    let rates: Vec<f64> = ranked.iter().map(|r| num(r, "rate_std")).collect();
    assert!(rates.windows(2).all(|w| w[0] >= w[1]), "{rates:?}");
    assert_eq!(sum(&towns, "breaches"), breaches.len() as f64);

    // The n lowest per township: listed ones are at or below every other
    // cadre of the township with a rate.
    let lowest = example(&d, "lowest_rated_cadres");
    let all = rows(
        &d,
        &["select t.township, g.rate from grades as g join subjects as s on s.subject_id = g.subject_id \
           join subject_groups as t on t.subject_id = g.subject_id \
           where s.kind = '干部' and g.\"window\" = '2012' and g.rate is not null"],
    );
    for town in towns.iter().map(|r| &r["township"]) {
        let listed: Vec<f64> = lowest
            .iter()
            .filter(|r| &r["township"] == town)
            .map(|r| num(r, "rate"))
            .collect();
        assert_eq!(listed.len(), 3, "{town}");
        let mut rest: Vec<f64> = all
            .iter()
            .filter(|r| &r["township"] == town)
            .map(|r| num(r, "rate"))
            .collect();
        rest.sort_by(f64::total_cmp);
        assert_eq!(listed, rest[..3], "{town}");
    }

    let in_town = example(&d, "lowest_rated_in_township");
    assert_eq!(in_town.len(), 7);
    let rates: Vec<f64> = in_town.iter().map(|r| num(r, "rate")).collect();
    assert!(rates.windows(2).all(|w| w[0] <= w[1]), "{rates:?}");

    let items = example(&d, "items_ranked");
    let n = one(&d, "select count(*) as n from group_period where level = 'item' and span = 'year' and period = '2012' and rate is not null");
    assert_eq!(items.len() as f64, n);
    let rates: Vec<f64> = items.iter().map(|r| num(r, "rate")).collect();
    assert!(rates.windows(2).all(|w| w[0] <= w[1]), "{rates:?}");
}

#[test]
fn satisfaction_methods_and_composition_add_up_to_the_county() {
    let d = county();
    let county_valid = |year: &str| {
        one(&d, &format!("select valid as n from group_period where level = 'county' and span = 'year' and period = '{year}'"))
    };
    let by_cat = example(&d, "satisfaction_by_rater_category");
    for year in ["2011", "2012"] {
        let of_year: Rows = by_cat
            .iter()
            .filter(|r| r["year"] == year)
            .cloned()
            .collect();
        assert_eq!(sum(&of_year, "valid"), county_valid(year), "{year}");
    }

    // Methods × channels, counted from the raw ratings, add up to the
    // method totals of group_period.
    let methods = example(&d, "methods_channels_compared");
    let per_method = rows(&d, &["select \"group\" as method, valid from group_period where level = 'method' and span = 'year' and period = '2012'"]);
    assert_eq!(per_method.len(), 3);
    for m in &per_method {
        let of: Rows = methods
            .iter()
            .filter(|r| r["method"] == m["method"])
            .cloned()
            .collect();
        assert_eq!(sum(&of, "valid"), num(m, "valid"), "{}", m["method"]);
    }
    for r in &methods {
        let rate = num(r, "satisfied") / num(r, "valid");
        assert!((num(r, "rate") - rate).abs() < 1e-12);
    }

    // Composition: each org type's shares sum to 1 and its quotas to 1.
    let comp = example(&d, "composition_gaps");
    let orgs: std::collections::BTreeSet<&String> = comp.iter().map(|r| &r["org_type"]).collect();
    assert_eq!(orgs.len(), 7);
    for org in orgs {
        let of: Rows = comp
            .iter()
            .filter(|r| &r["org_type"] == org)
            .cloned()
            .collect();
        assert!((sum(&of, "share") - 1.0).abs() < 1e-9, "{org}");
        assert!((sum(&of, "quota") - 1.0).abs() < 1e-9, "{org}");
        assert_eq!(sum(&of, "n"), num(&of[0], "total"));
    }
}

#[test]
fn ledger_and_quarantine_queries_match_their_tables() {
    let d = county();
    let overdue = example(&d, "overdue_rectifications");
    let n = one(
        &d,
        "select overdue as n from ledger_summary where level = 'county'",
    );
    assert_eq!(overdue.len() as f64, n, "as ledger_summary counts");
    assert!(overdue
        .iter()
        .all(|r| r["status"] != "已销号" && r["deadline"].as_str() < "2012-12-31"));

    let cats = example(&d, "suggestions_by_category");
    let summary = rows(&d, &["select \"group\" as category, suggestions, closed, overdue, answered_on_spot from ledger_summary where level = 'category'"]);
    assert_eq!(cats.len(), summary.len());
    for s in &summary {
        let c = cats
            .iter()
            .find(|c| c["category"] == s["category"])
            .unwrap();
        for col in ["suggestions", "closed", "overdue", "answered_on_spot"] {
            assert_eq!(num(c, col), num(s, col), "{} {col}", s["category"]);
        }
        assert_eq!(
            num(c, "still_open"),
            num(s, "suggestions") - num(s, "closed")
        );
    }

    let q = example(&d, "quarantine_by_reason");
    assert_eq!(
        sum(&q, "quarantined_rows"),
        one(&d, "select count(*) as n from quarantine")
    );
}

#[test]
fn trend_and_movers_follow_the_subject_periods() {
    let d = county();
    let trend = example(&d, "subject_trend");
    let periods = rows(
        &d,
        &["select period, rate from subject_period where subject_id = 'ZZ0001' order by period"],
    );
    assert_eq!(trend.len(), periods.len());
    assert_eq!(trend.len(), 8, "ZZ0001 is rated in all 8 quarters");
    assert_eq!(trend[0]["change_pp"], "", "nothing before the first period");
    for (i, (t, p)) in trend.iter().zip(&periods).enumerate().skip(1) {
        assert_eq!(t["period"], p["period"]);
        let expected = (num(p, "rate") - num(&periods[i - 1], "rate")) * 100.0;
        assert!((num(t, "change_pp") - expected).abs() < 1e-9, "{t:?}");
    }

    // Recount the biggest move into 2012Q4 from subject_period here.
    let sp = rows(&d, &["select subject_id, period, valid, rate from subject_period where rate is not null order by subject_id, period"]);
    let mut best: Vec<(f64, String)> = Vec::new();
    for w in sp.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if a["subject_id"] == b["subject_id"]
            && b["period"] == "2012Q4"
            && num(a, "valid") >= 5.0
            && num(b, "valid") >= 5.0
        {
            best.push((
                (num(b, "rate") - num(a, "rate")).abs() * 100.0,
                b["subject_id"].clone(),
            ));
        }
    }
    best.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    let movers = example(&d, "biggest_movers");
    assert_eq!(movers.len(), 10);
    let got: Vec<&String> = movers.iter().map(|r| &r["subject_id"]).collect();
    let want: Vec<&String> = best.iter().take(10).map(|b| &b.1).collect();
    assert_eq!(got, want);
}

/// 2:7:1 recounted here from the raw random-draw ratings.
#[test]
fn villages_missing_the_ratio_are_the_ones_recounted_from_the_ratings() {
    let d = county();
    let raw = rows(&d, &["select distinct rater_village, period, response_id, rater_category from ratings \
                          where method = '随机抽查' and rater_village is not null and period like '2012%'"]);
    let mut counts: BTreeMap<(String, String), [f64; 3]> = BTreeMap::new();
    for r in &raw {
        let i = ["村组干部", "普通群众", "先锋户"]
            .iter()
            .position(|c| *c == r["rater_category"]);
        let e = counts
            .entry((r["rater_village"].clone(), r["period"].clone()))
            .or_default();
        if let Some(i) = i {
            e[i] += 1.0;
        }
    }
    let plan = [0.2, 0.7, 0.1];
    let missed = |tol: f64| -> Vec<(String, String)> {
        let mut v: Vec<(f64, String, String)> = counts
            .iter()
            .filter_map(|((village, period), c)| {
                let total: f64 = c.iter().sum();
                let gap = (0..3)
                    .map(|i| (c[i] / total - plan[i]).abs())
                    .fold(0.0, f64::max);
                (gap > tol).then(|| (gap, village.clone(), period.clone()))
            })
            .collect();
        v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        v.into_iter().map(|(_, a, b)| (a, b)).collect()
    };
    let got = |tol: &str| -> Vec<(String, String)> {
        rows(
            &d,
            &[
                "--name",
                "villages_missing_ratio",
                "--param",
                "year=2012",
                "--param",
                &format!("tolerance={tol}"),
            ],
        )
        .iter()
        .map(|r| (r["village"].clone(), r["period"].clone()))
        .collect()
    };
    let expected = missed(0.03);
    assert!(
        !expected.is_empty(),
        "the sample has villages 1/30 off the ratio"
    );
    assert_eq!(got("0.03"), expected);
    assert_eq!(got("0.05"), missed(0.05));
}

#[test]
fn named_queries_give_the_same_rows_on_duckdb_over_the_same_parquet() {
    let d = county();
    let python = engines_python();
    let out = std::process::Command::new(&python)
        .arg(repo().join("queries/engines/duckdb_run.py"))
        .args([
            "--warehouse",
            crate::util::sample_warehouse().to_str().unwrap(),
        ])
        .args(["--queries", repo().join("queries").to_str().unwrap()])
        .args(["--compare", env!("CARGO_BIN_EXE_pingyi")])
        .args(["--config", d.join("pingyi.toml").to_str().unwrap()])
        .current_dir(d.path())
        .output()
        .expect("run duckdb_run.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "DuckDB and pingyi differ:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = std::fs::read_dir(repo().join("queries")).unwrap();
    let n = files
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "sql")
        })
        .count();
    assert_eq!(stdout.matches(" same").count(), n, "{stdout}");
}

#[test]
fn output_formats_and_files() {
    let d = county();
    let sql = "select subject_id, name from subjects where subject_id = 'ZZ0001'";
    let csv = d.ok(&["query", "--format", "csv", "--bom", sql]).stdout;
    assert!(csv.starts_with("\u{feff}subject_id,name\n"), "{csv}");
    let json = d.ok(&["query", "--format", "json", sql]).stdout;
    assert_eq!(
        json.trim(),
        r#"{"subject_id":"ZZ0001","name":"下平社区党总支"}"#
    );
    let table = d.ok(&["query", sql]).stdout;
    // 下平社区党总支 is 7 characters, 14 columns wide: the header pads to it.
    assert!(table.contains("subject_id  name\n"), "{table}");
    assert!(table.contains("----------  --------------\n"), "{table}");

    d.ok(&["query", "--out", "one.parquet", sql]);
    let back = d
        .ok(&[
            "query",
            "--allow-files",
            "--format",
            "csv",
            "select * from read_parquet('one.parquet')",
        ])
        .stdout;
    assert_eq!(back, "subject_id,name\nZZ0001,下平社区党总支\n");
    d.ok(&["query", "--out", "one.csv", "--bom", sql]);
    assert!(std::fs::read_to_string(d.join("one.csv"))
        .unwrap()
        .starts_with('\u{feff}'));

    // SQL from standard input.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingyi"))
        .args(["query", "--format", "csv"])
        .current_dir(d.path())
        .stdin(std::fs::File::open(d.write("q.sql", sql)).unwrap())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "subject_id,name\nZZ0001,下平社区党总支\n"
    );
}

#[test]
fn errors_say_what_to_do() {
    let d = county();
    let q = repo().join("queries").display().to_string();
    let err = |args: &[&str]| {
        let r = d.run(args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stdout);
        assert!(
            !r.stderr.contains("panicked") && !r.stderr.contains("Resolved plan"),
            "{}",
            r.stderr
        );
        r.stderr
    };
    let e = err(&[
        "query",
        "--queries",
        &q,
        "--name",
        "lowest_rated_in_township",
        "--param",
        "year=2012",
    ]);
    assert!(e.contains("needs --param township=VALUE"), "{e}");
    let e = err(&[
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
    assert!(e.contains("no parameter `yaer`; it takes: year"), "{e}");
    let e = err(&["query", "--queries", &q, "--name", "no_such"]);
    assert!(
        e.contains("no named query `no_such`") && e.contains("breach_list"),
        "{e}"
    );
    let e = err(&[
        "query",
        "--queries",
        &q,
        "--name",
        "breach_list",
        "--param",
        "year",
    ]);
    assert!(e.contains("--param year: write it as KEY=VALUE"), "{e}");

    let e = err(&["query", "select *\nfrom subjects\nwhere subject_id = = 'x'"]);
    assert!(e.contains("SQL syntax error at line 3, column 20"), "{e}");
    assert!(
        e.contains("  where subject_id = = 'x'\n                     ^"),
        "{e}"
    );
    let e = err(&["query", "select * from subject"]);
    assert!(
        e.contains("'subject' was not found")
            && e.contains("known tables: ")
            && e.contains("subjects,"),
        "{e}"
    );
    let e = err(&["query", "select nmae from subjects"]);
    assert!(
        e.contains("unable to find column \"nmae\"") && e.contains("\"name\""),
        "{e}"
    );
    for w in [
        "drop table ratings",
        "create table t as select 1 as x",
        "delete from subjects",
    ] {
        let e = err(&["query", w]);
        assert!(e.contains("would write: pingyi query only reads"), "{e}");
    }
    let e = err(&["query", "select 1 as a; select 2 as b"]);
    assert!(e.contains("one statement at a time"), "{e}");
    let e = err(&["query", "--format", "parquet", "select 1 as a"]);
    assert!(e.contains("add --out FILE.parquet"), "{e}");
    assert!(!d.join("wh").exists() || d.join("wh").is_dir());
}
