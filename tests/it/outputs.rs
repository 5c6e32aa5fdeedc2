//! What a hostile tester found (issue 34, items 1 and 2): `forms --out`
//! emptied the warehouse or the whole project; a recompute under other
//! rules or another as-of date rewrote metrics files under their old seals,
//! and every later command stopped with a false "damaged".

use crate::util::{one_subject, sample_config, tree, Dir};

/// A folder with a subject roster ingested (forms need one).
fn project() -> Dir {
    let d = one_subject("");
    std::fs::rename(d.join("in/roster.csv"), d.join("roster.csv")).unwrap();
    d.ok(&["ingest", "roster.csv"]);
    d
}

fn forms_out(d: &Dir, out: &str) -> crate::util::Run {
    d.run(&["forms", "--period", "2012Q3", "--copies", "1", "--out", out])
}

#[test]
fn forms_never_replace_the_warehouse_the_project_or_a_folder_it_did_not_write() {
    let d = project();
    let before = tree(&d.join("wh"));
    let project = d.path().canonicalize().unwrap();
    for out in [
        "wh",
        "in",
        "reports",
        project.to_str().unwrap(),
        ".",
        "wh/../wh",
    ] {
        let r = forms_out(&d, out);
        assert_ne!(r.code, 0, "--out {out} was accepted: {}", r.stdout);
        assert!(
            r.stderr.contains("--out") || r.stderr.contains("folder"),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    // Inside the warehouse is pingyi's own ground too.
    let r = forms_out(&d, "wh/forms");
    assert_ne!(r.code, 0, "inside the warehouse: {}", r.stdout);
    assert!(r.stderr.contains("inside"), "{}", r.stderr);
    assert_eq!(tree(&d.join("wh")), before, "the warehouse changed");
    assert!(d.join("pingyi.toml").is_file() && d.join("roster.csv").is_file());

    // A folder of the user's own is refused and left as it was.
    std::fs::create_dir(d.join("mine")).unwrap();
    d.write("mine/notes.txt", "keep me");
    let r = forms_out(&d, "mine");
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("notes.txt"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(d.join("mine/notes.txt")).unwrap(),
        "keep me"
    );

    // A new folder, then the same folder again: replaced, it is forms'.
    assert_eq!(forms_out(&d, "out").code, 0);
    assert!(d.join("out/schema.json").is_file());
    let again = forms_out(&d, "out");
    assert_eq!(again.code, 0, "{}", again.stderr);
    // A draw's folder is not forms' to replace.
    std::fs::create_dir(d.join("drawn")).unwrap();
    d.write("drawn/.pingyi-output", "sample\n");
    d.write("drawn/audit.json", "{}");
    assert_ne!(forms_out(&d, "drawn").code, 0);
    assert!(d.join("drawn/audit.json").is_file());
}

#[test]
fn single_file_outputs_are_never_written_over_the_configuration_or_into_the_warehouse() {
    let d = project();
    let config = std::fs::read(d.join("pingyi.toml")).unwrap();
    let r = d.run(&[
        "query",
        "select 1 as x",
        "--out",
        "pingyi.toml",
        "--format",
        "csv",
    ]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("configuration file"), "{}", r.stderr);
    assert_eq!(std::fs::read(d.join("pingyi.toml")).unwrap(), config);
    let r = d.run(&["query", "select 1 as x", "--out", "wh/x.csv"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("inside the configured warehouse"),
        "{}",
        r.stderr
    );
    assert!(!d.join("wh/x.csv").exists());
    let r = d.run(&["query", "select 1 as x", "--out", "in/x.csv"]);
    assert_ne!(r.code, 0, "into the inbox: {}", r.stdout);
    // Anywhere else, an analyst's file is written (and rewritten).
    d.ok(&["query", "select 1 as x", "--out", "x.csv"]);
    d.ok(&["query", "select 2 as x", "--out", "x.csv"]);
    assert!(std::fs::read_to_string(d.join("x.csv"))
        .unwrap()
        .contains('2'));
}

#[test]
fn a_draw_is_not_written_into_the_warehouse_or_a_foreign_folder() {
    let d = project();
    d.write(
        "people.csv",
        "人员编号,乡镇,村(社区),人员类别\nP1,中枢镇,下平社区,村组干部\nP2,中枢镇,下平社区,普通群众\nP3,中枢镇,下平社区,先锋户\n",
    );
    let draw = |out: &str| {
        d.run(&[
            "sample",
            "--roster",
            "people.csv",
            "--seed",
            "1",
            "--per-village",
            "3",
            "--out",
            out,
        ])
    };
    let before = tree(&d.join("wh"));
    assert_ne!(draw("wh").code, 0);
    assert_ne!(draw(".").code, 0);
    assert_eq!(tree(&d.join("wh")), before);
    std::fs::create_dir(d.join("mine")).unwrap();
    d.write("mine/抽查名单.csv", "my own list");
    let r = draw("mine");
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert_eq!(
        std::fs::read_to_string(d.join("mine/抽查名单.csv")).unwrap(),
        "my own list"
    );
    let r = draw("drawn");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(draw("drawn").code, 0, "its own folder again");
}

#[test]
fn reports_are_not_published_into_a_folder_holding_the_warehouse() {
    let d = project();
    d.write(
        "pingyi.toml",
        "[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\nreports = \".\"\n",
    );
    let r = d.run(&["report"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("paths.reports"), "{}", r.stderr);
}

/// The hostile tester's case: other breach rules (valid, `config check`
/// says ok), then every command; then another as-of date. Nothing may say
/// "damaged", and what was rendered under the old rules says so.
#[test]
fn changing_the_rules_or_the_as_of_date_recomputes_and_never_reports_damage() {
    let d = Dir::new();
    let base = sample_config("wh");
    d.write("pingyi.toml", &base);
    let first = d.run(&["run"]);
    assert_eq!(first.code, 3, "{}", first.stderr);
    let rules = "\n[breach]\nrules = [{ below = 0.65, times = 1 }, { below = 0.75, times = 2 }]\n";
    d.write("pingyi.toml", &format!("{base}{rules}"));
    d.ok(&["config", "check", "pingyi.toml"]);

    // Rendered without recomputing: the reports say their figures are stale.
    let r = d.ok(&["report", "--audience", "leadership"]);
    assert!(r.stderr.contains("other rules"), "{}", r.stderr);
    let page = std::fs::read_to_string(d.join("reports/leadership-zh/leadership.html")).unwrap();
    assert!(page.contains("此前的规则"), "no stale notice on the page");
    let status = d.run(&["status"]);
    assert!(
        status.stdout.contains("computed under other rules"),
        "{}",
        status.stdout
    );

    for args in [
        vec!["run"],
        vec!["status", "--verify"],
        vec!["compute"],
        vec!["compute", "--as-of", "2013-06-30"],
        vec!["status", "--verify"],
        vec!["report", "--as-of", "2013-06-30"],
        vec!["query", "select count(*) from breaches"],
        vec!["query", "select count(*) from ledger_summary"],
        vec!["run", "--as-of", "2013-01-15"],
        vec!["run", "--as-of", "2013-01-15"],
        vec!["status", "--verify"],
    ] {
        let r = d.run(&args);
        assert_eq!(
            r.code,
            0,
            "pingyi {}: {}{}",
            args.join(" "),
            r.stdout,
            r.stderr
        );
        assert!(
            !r.stderr.contains("damaged") && !r.stdout.contains("DAMAGED"),
            "{args:?}: {}{}",
            r.stdout,
            r.stderr
        );
        assert!(!r.stderr.contains("backup"), "{args:?}: {}", r.stderr);
    }
    // After the run every published report is current again.
    let status = d.ok(&["status"]);
    assert!(
        !status.stdout.contains("rendered from other metrics"),
        "{}",
        status.stdout
    );
    assert!(!status.stdout.contains("other rules"), "{}", status.stdout);
    let page = std::fs::read_to_string(d.join("reports/leadership-zh/leadership.html")).unwrap();
    assert!(!page.contains("此前的规则"));
}

/// A metrics file damaged for real is rebuilt by the next run (it is
/// derived), and the message says so instead of asking for a backup.
#[test]
fn a_damaged_metrics_file_is_rebuilt_by_the_next_run() {
    let d = Dir::new();
    d.write("pingyi.toml", &sample_config("wh"));
    assert_eq!(d.run(&["run"]).code, 3);
    let dir = d.join("wh/metrics/breaches");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&file, b"PAR1 not really").unwrap();
    let q = d.run(&["query", "select count(*) from breaches"]);
    assert_eq!(q.code, 7, "{}", q.stderr);
    assert!(
        q.stderr.contains("pingyi compute") && !q.stderr.contains("backup"),
        "{}",
        q.stderr
    );
    let r = d.run(&["run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    d.ok(&["status", "--verify"]);
    d.ok(&["query", "select count(*) from breaches"]);
}
