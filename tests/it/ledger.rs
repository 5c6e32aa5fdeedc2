//! `pingyi ledger`: on the sample data the open, overdue and closed views
//! list exactly the generator's items (sample-data/EXPECTED-LEDGER.csv);
//! closed items carry the subject's rate before and after as subject_period
//! has it; filters narrow; the workbook holds the three views; and a ledger
//! export that closes an item updates it through ingest with its history.

use std::collections::BTreeMap;

use crate::util::{county, repo, sample_config, split_csv, Dir};

type Rows = Vec<BTreeMap<String, String>>;

fn csv(text: &str) -> Rows {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines();
    let header = split_csv(lines.next().unwrap_or_default());
    lines
        .map(|l| header.iter().cloned().zip(split_csv(l)).collect())
        .collect()
}

fn ledger(d: &Dir, args: &[&str]) -> Rows {
    let mut all = vec!["ledger", "--as-of", "2012-12-31", "--format", "csv"];
    all.extend_from_slice(args);
    csv(&d.ok(&all).stdout)
}

fn ids(rows: &Rows) -> Vec<String> {
    let mut v: Vec<String> = rows.iter().map(|r| r["suggestion_id"].clone()).collect();
    v.sort();
    v
}

fn expected(pick: &dyn Fn(&BTreeMap<String, String>) -> bool) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("sample-data/EXPECTED-LEDGER.csv")).unwrap();
    let rows = csv(&text);
    assert!(rows.iter().all(|r| r["as_of"] == "2012-12-31"));
    ids(&rows.into_iter().filter(|r| pick(r)).collect())
}

#[test]
fn the_views_list_exactly_the_generators_open_overdue_and_closed_items() {
    let d = county();
    let overdue = ledger(&d, &["--view", "overdue"]);
    assert_eq!(ids(&overdue), expected(&|r| r["overdue"] == "true"));
    assert!(!overdue.is_empty());
    assert!(overdue
        .iter()
        .all(|r| r["days_overdue"].parse::<i64>().unwrap() > 0));
    let open = ledger(&d, &["--view", "open"]);
    assert_eq!(ids(&open), expected(&|r| r["status"] != "已销号"));
    let closed = ledger(&d, &["--view", "closed"]);
    assert_eq!(ids(&closed), expected(&|r| r["status"] == "已销号"));
    let recent = ledger(&d, &["--view", "closed", "--closed-since", "2012-12-01"]);
    assert_eq!(
        ids(&recent),
        expected(&|r| r["status"] == "已销号" && r["closed_at"].as_str() >= "2012-12-01")
    );
    assert!(!recent.is_empty() && recent.len() < closed.len());

    // Filters: a township's overdue items are the county's in that township.
    let town = overdue[0]["township"].clone();
    let narrowed = ledger(&d, &["--view", "overdue", "--township", &town]);
    let by_hand: Rows = overdue
        .iter()
        .filter(|r| r["township"] == town)
        .cloned()
        .collect();
    assert_eq!(ids(&narrowed), ids(&by_hand));
    let owner = open[0]["owner"].clone();
    assert!(ledger(&d, &["--view", "open", "--owner", &owner])
        .iter()
        .all(|r| r["owner"] == owner));
}

#[test]
fn closed_items_show_the_rate_in_the_periods_around_closing() {
    let d = county();
    let closed = ledger(&d, &["--view", "closed"]);
    let sp = csv(&d
        .ok(&[
            "query",
            "--format",
            "csv",
            "select subject_id, period, rate from subject_period",
        ])
        .stdout);
    let periods: BTreeMap<(String, String), String> = sp
        .iter()
        .filter(|r| !r["rate"].is_empty())
        .map(|r| {
            (
                (r["subject_id"].clone(), r["period"].clone()),
                r["rate"].clone(),
            )
        })
        .collect();
    let mut both = 0;
    for item in &closed {
        let subject = &item["subject_id"];
        let of: Vec<&String> = periods
            .keys()
            .filter(|(s, _)| s == subject)
            .map(|(_, p)| p)
            .collect();
        let before = of.iter().filter(|p| **p < &item["closed_in"]).max();
        let after = of.iter().filter(|p| **p > &item["closed_in"]).min();
        assert_eq!(
            before.map(|p| p.as_str()),
            Some(item["period_before"].as_str()).filter(|s| !s.is_empty()),
            "{item:?}"
        );
        assert_eq!(
            after.map(|p| p.as_str()),
            Some(item["period_after"].as_str()).filter(|s| !s.is_empty()),
            "{item:?}"
        );
        if let (Some(b), Some(a)) = (before, after) {
            let rb: f64 = periods[&(subject.clone(), (*b).clone())].parse().unwrap();
            let ra: f64 = periods[&(subject.clone(), (*a).clone())].parse().unwrap();
            assert_eq!(item["rate_before"].parse::<f64>().unwrap(), rb);
            let change: f64 = item["change_pp"].parse().unwrap();
            assert!((change - (ra - rb) * 100.0).abs() < 1e-9);
            both += 1;
        }
        // On time: closed by the working day the deadline fell due (the
        // deadline itself, or the first working day after a day off).
        assert!(item["due"] >= item["deadline"], "{item:?}");
        assert_eq!(item["on_time"] == "true", item["closed_at"] <= item["due"]);
    }
    assert!(
        both > 100,
        "most closed items have a period on each side: {both}"
    );
}

#[test]
fn the_workbook_holds_the_three_views() {
    use calamine::{open_workbook, Reader, Xlsx};
    let d = county();
    d.ok(&["ledger", "--as-of", "2012-12-31", "--out", "台账.xlsx"]);
    let mut book: Xlsx<_> = open_workbook(d.join("台账.xlsx")).unwrap();
    assert_eq!(book.sheet_names(), ["逾期未整改", "未销号", "已销号"]);
    for (sheet, view) in [
        ("逾期未整改", "overdue"),
        ("未销号", "open"),
        ("已销号", "closed"),
    ] {
        let range = book.worksheet_range(sheet).unwrap();
        assert_eq!(
            range.height() - 1,
            ledger(&d, &["--view", view]).len(),
            "{sheet}"
        );
    }
}

#[test]
fn a_ledger_export_closing_an_item_updates_it_and_keeps_its_history() {
    let d = Dir::new();
    d.write("pingyi.toml", &sample_config("wh"));
    d.run(&["ingest"]);
    d.ok(&["compute"]);
    let open = ledger(&d, &["--view", "overdue"]);
    let item = &open[0];
    let id = item["suggestion_id"].clone();

    // The item as the ledger keeper exports it after the meeting: closed.
    let row = csv(&d.ok(&["query", "--format", "csv", &format!("select suggestion_id, subject_id, received_at, source_method, category, content, answered_on_spot, measure, owner, deadline from suggestions where suggestion_id = '{id}'")]).stdout);
    let r = &row[0];
    d.write(
        "台账更新.csv",
        &format!(
            "台账编号,被评议对象编号,收集日期,收集方式,问题类别,意见建议内容,现场答复,整改措施,责任人,完成时限,整改状态,销号日期,跟踪问效\n{},{},{},{},{},{},{},{},{},{},已销号,2012-12-20,已回访，群众认可\n",
            r["suggestion_id"], r["subject_id"], r["received_at"], r["source_method"], r["category"], r["content"],
            if r["answered_on_spot"] == "true" { "是" } else { "否" }, r["measure"], r["owner"], r["deadline"]
        ),
    );
    d.ok(&["ingest", "台账更新.csv"]);
    d.ok(&["compute"]);
    assert!(!ids(&ledger(&d, &["--view", "overdue"])).contains(&id));
    let closed = ledger(&d, &["--view", "closed", "--closed-since", "2012-12-20"]);
    assert!(ids(&closed).contains(&id), "{closed:?}");

    let history = csv(&d
        .ok(&["ledger", "--history", &id, "--format", "csv"])
        .stdout);
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0]["status"], item["status"]);
    assert_eq!(history[1]["status"], "已销号");
    assert_eq!(history[1]["closed_at"], "2012-12-20");
    let r = d.run(&["ledger", "--history", "YJ99999"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no item `YJ99999`"), "{}", r.stderr);

    // Without a warehouse: what to do.
    let e = Dir::new();
    e.write(
        "pingyi.toml",
        "[paths]\nwarehouse = \"wh\"\n[privacy]\nrater_key = \"k\"\n",
    );
    let r = e.run(&["ledger"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("ingest the ledger") || r.stderr.contains("pingyi ingest"),
        "{}",
        r.stderr
    );
}
