//! Working days (issue 37, item 3): a rectification deadline on a day off
//! falls due on the next working day of the State Council's calendar (the
//! 2012 National Day week and its 调休 Saturday), overdue counts follow it
//! in `pingyi ledger`, the ledger summary and the DuckDB model, and a year
//! the calendar lacks is an error naming the file, not a calendar-day count.

use crate::util::{csv_records, one_subject, Dir};

/// A roster and a ledger of three open items: due on the National Day
/// (a holiday), on the 调休 Saturday 2012-09-29 (a working day), and on an
/// ordinary Friday.
fn county() -> Dir {
    let d = one_subject("[report]\nas_of = \"2012-10-09\"\n");
    d.write(
        "in/ledger.csv",
        "意见编号,被评议对象编号,收集日期,收集方式,问题类别,意见建议内容,整改措施,责任人,完成时限,整改状态\n\
         S1,ZZ0001,2012-09-01,民情恳谈,就业,路灯,修路灯,张三,2012-10-01,整改中\n\
         S2,ZZ0001,2012-09-01,民情恳谈,就业,水管,修水管,张三,2012-09-29,整改中\n\
         S3,ZZ0001,2012-09-01,民情恳谈,就业,垃圾,清运,张三,2012-09-28,未整改\n",
    );
    d.ok(&["ingest", "in"]);
    d.ok(&["compute"]);
    d
}

/// (suggestion_id, days_overdue, workdays_overdue) of the overdue view.
fn overdue(d: &Dir, as_of: &str) -> Vec<(String, String, String)> {
    let r = d.ok(&[
        "ledger", "--view", "overdue", "--as-of", as_of, "--format", "csv",
    ]);
    let rows = csv_records(&r.stdout);
    let head = &rows[0];
    let at = |name: &str| head.iter().position(|h| h == name).unwrap();
    let (id, days, work) = (
        at("suggestion_id"),
        at("days_overdue"),
        at("workdays_overdue"),
    );
    rows[1..]
        .iter()
        .map(|r| (r[id].clone(), r[days].clone(), r[work].clone()))
        .collect()
}

#[test]
fn a_deadline_in_the_national_day_week_falls_due_on_the_next_working_day() {
    let d = county();
    // 10-05 is inside the holiday: S1 (due 10-08) is not overdue yet; S2
    // fell due on the Saturday worked and S3 on the Friday before.
    let on_5th = overdue(&d, "2012-10-05");
    let ids: Vec<&str> = on_5th.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(ids, ["S3", "S2"], "{on_5th:?}");
    // Overdue by calendar days from the deadline, by working days from the
    // day it fell due: none were worked between 9-29 and 10-05.
    assert_eq!(on_5th[1], ("S2".into(), "6".into(), "0".into()));
    assert_eq!(on_5th[0], ("S3".into(), "7".into(), "1".into()));
    // On 10-09 S1 (due Monday 10-08) is one working day late.
    let on_9th = overdue(&d, "2012-10-09");
    let s1 = on_9th
        .iter()
        .find(|r| r.0 == "S1")
        .expect("S1 overdue on 10-09");
    assert_eq!(s1, &("S1".into(), "8".into(), "1".into()));

    // The summary counts the same items, and so does the DuckDB model
    // (tests/it/metrics_sql.rs holds the models equal on the sample).
    d.ok(&["compute", "--as-of", "2012-10-05"]);
    let r = d.ok(&[
        "query",
        "--format",
        "csv",
        "select overdue from ledger_summary where level = 'county'",
    ]);
    assert_eq!(csv_records(&r.stdout)[1], ["2"], "{}", r.stdout);
}

#[test]
fn a_year_the_calendar_lacks_is_an_error_naming_the_file() {
    let d = county();
    let r = d.run(&["ledger", "--view", "overdue", "--as-of", "2014-03-03"]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stderr.contains("2014") && r.stderr.contains("cn-holidays.toml"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    // A county's own calendar with 2014 in it is taken (`[calendar] file`).
    let own = std::fs::read_to_string(crate::util::repo().join("pipeline/calendar/cn-holidays.toml"))
        .unwrap()
        + "\n[years.2014]\nnotice = \"国办发明电〔2013〕28号\"\nholidays = [\"2014-01-01\", \"2014-01-31..2014-02-06\"]\nworkdays = [\"2014-01-26\", \"2014-02-08\"]\n";
    d.write("holidays.toml", &own);
    let cfg = std::fs::read_to_string(d.join("pingyi.toml")).unwrap();
    d.write(
        "pingyi.toml",
        &format!("{cfg}[calendar]\nfile = \"holidays.toml\"\n"),
    );
    d.ok(&["config", "check", "pingyi.toml"]);
    let rows = overdue(&d, "2014-03-03");
    assert_eq!(rows.len(), 3, "{rows:?}");
    // A broken calendar file is a configuration error naming it.
    d.write(
        "holidays.toml",
        "version = 1\n[years.2014]\nholidays = [\"2014-13-01\"]\n",
    );
    let r = d.run(&["config", "check", "pingyi.toml"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("holidays.toml"), "{}", r.stderr);
}
