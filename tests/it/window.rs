//! The rule window per subject kind (`breach.window`): organizations
//! counted by period, cadres by the pooled assessment year ("two below 70%"
//! = two consecutive years); the watchlist's calendar (open, closed,
//! carries); a bad window refused naming its key; and every headline tile
//! of the leadership page stating its window, its subject count equal to
//! the subjects rated in that window as the ratings Parquet has them.

use std::collections::BTreeSet;

use crate::compute::query;
use crate::util::{inbox_with, Dir, PLAIN_HEAD};

const ROSTER: &str = "被评议对象编号,名称,类型,组织类型,乡镇\n\
K1,张一,干部,农村,中枢镇\nK2,王二,干部,农村,中枢镇\nK3,李三,干部,农村,金马镇\n\
O1,甲村党支部,组织,农村,中枢镇\nO2,乙村党支部,组织,农村,金马镇\n";

/// `sat` satisfied and `unsat` unsatisfied ratings of `subject` on `date`,
/// each on its own form (one person each).
fn rows(out: &mut String, subject: &str, date: &str, sat: usize, unsat: usize) {
    let labels = std::iter::repeat_n("满意", sat).chain(std::iter::repeat_n("不满意", unsat));
    for (i, l) in labels.enumerate() {
        out.push_str(&format!(
            "{subject}-{date}-{i},{subject},{date},服务对象,群众测评,测评表,{l}\n"
        ));
    }
}

/// The ratings, by hand (every form one rating):
/// - K1 (cadre): 2012Q1 13/20 and 2012Q2 13/20 (65% each): two quarters
///   below 70%, but one pooled year at 26/40 = 65%: one evaluation below.
/// - K2 (cadre): 2011Q4 13/20 (65%) and 2012Q1 14/20 (70% is not below…)
///   plus 2012Q2 12/20: pooled 2012 = 26/40 = 65%: 2011 and 2012 both below
///   70% → "below 70% × 2" over the two years.
/// - K3 (cadre): 2012Q1 5/10 (50%) and 2012Q2 18/20 (90%): a quarter below
///   60%, but the pooled year is 23/30 = 76.7%: no breach, no watch.
/// - O1 (organization): 2012Q1 and 2012Q2 at 13/20: two quarters below 70%.
/// - O2 (organization): 2012Q1 13/20: one quarter below 70% (watched).
fn county(extra: &str, as_of: &str) -> Dir {
    let d = inbox_with(
        &format!(
            "[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\nreports = \"reports\"\n[report]\nas_of = \"{as_of}\"\n{extra}"
        ),
        ROSTER,
    );
    let mut r = String::from(PLAIN_HEAD);
    rows(&mut r, "K1", "2012-02-01", 13, 7);
    rows(&mut r, "K1", "2012-05-01", 13, 7);
    rows(&mut r, "K2", "2011-11-15", 13, 7);
    rows(&mut r, "K2", "2012-02-01", 14, 6);
    rows(&mut r, "K2", "2012-05-01", 12, 8);
    rows(&mut r, "K3", "2012-02-01", 5, 5);
    rows(&mut r, "K3", "2012-05-01", 18, 2);
    rows(&mut r, "O1", "2012-02-01", 13, 7);
    rows(&mut r, "O1", "2012-05-01", 13, 7);
    rows(&mut r, "O2", "2012-02-01", 13, 7);
    d.write("in/ratings.csv", &r);
    // One ledger item, so that every SQL model has its inputs.
    d.write(
        "in/ledger.csv",
        "台账编号,被评议对象编号,收集日期,收集方式,问题类别,现场答复,完成时限,整改状态,销号日期\n\
         L1,O1,2012-03-01,民情恳谈,就业,是,2012-04-01,已销号,2012-03-11\n",
    );
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    d
}

const BREACHES: &str = "select subject_id, \"window\", rule_window, rule, periods, rates, raters \
     from breaches order by \"window\", subject_id";

#[test]
fn cadres_are_judged_on_the_pooled_year_and_organizations_by_quarter() {
    let d = county("", "2012-12-31");
    let b = query(&d, BREACHES);
    assert_eq!(
        b,
        vec![
            // K2: 2011 (13/20) and 2012 (26/40) pooled, both 65%.
            vec![
                "K2",
                "2012",
                "year",
                "below 70% × 2",
                "2011,2012",
                "0.65,0.65",
                "20,40"
            ],
            vec![
                "O1",
                "2012",
                "period",
                "below 70% × 2",
                "2012Q1,2012Q2",
                "0.65,0.65",
                "20,20"
            ],
        ]
    );
    // K1's pooled 2012 is one evaluation below 70%: watched, not breached;
    // K3's pooled 76.7% is neither, though one of its quarters was 50%.
    let w = query(
        &d,
        "select subject_id, rule_window, period, rate, raters, status from watchlist order by subject_id",
    );
    assert_eq!(
        w,
        vec![
            vec!["K1", "year", "2012", "0.65", "40", "open"],
            vec!["O2", "period", "2012Q1", "0.65", "20", "open"],
        ]
    );
}

#[test]
fn counting_cadres_by_period_restores_the_quarterly_rule() {
    let d = county("[breach.window]\ncadre = \"quarter\"\n", "2012-12-31");
    let b = query(&d, BREACHES);
    let who: Vec<(&str, &str)> = b.iter().map(|r| (r[0].as_str(), r[3].as_str())).collect();
    // K2 by quarter: 2011Q4 alone in 2011, 2012Q2 (60%) alone in 2012.
    assert_eq!(
        who,
        vec![
            ("K1", "below 70% × 2"),
            ("K3", "below 60% × 1"),
            ("O1", "below 70% × 2"),
        ]
    );
    assert!(b.iter().all(|r| r[2] == "period"), "{b:?}");
}

#[test]
fn the_watchlist_knows_the_calendar() {
    // Before the year ends the window is open: one more triggers.
    let open = county("", "2012-11-30");
    let w = query(
        &open,
        "select subject_id, \"window\", status from watchlist order by subject_id",
    );
    assert_eq!(
        w,
        vec![vec!["K1", "2012", "open"], vec!["O2", "2012", "open"]]
    );
    open.ok(&["report", "--audience", "leadership"]);
    let html = std::fs::read_to_string(open.join("reports/leadership-zh/leadership.html")).unwrap();
    assert!(html.contains("再有一个年度低于70%即触发"), "K1 by year");
    assert!(!html.contains("评议期已结束"));
    // After its last day the 2012 window is closed: O2's quarter no longer
    // leads anywhere; K1's pooled 2012 carries into 2013's window.
    let closed = county("", "2013-01-15");
    let w = query(
        &closed,
        "select subject_id, \"window\", status from watchlist order by subject_id",
    );
    assert_eq!(
        w,
        vec![vec!["K1", "2012", "carries"], vec!["O2", "2012", "closed"]]
    );
    closed.ok(&["report"]);
    let html =
        std::fs::read_to_string(closed.join("reports/leadership-zh/leadership.html")).unwrap();
    assert!(
        html.contains("2012 年评议期已结束（数据截至 2013-01-15）"),
        "the closed note"
    );
    assert!(
        html.contains("本年度评议期已结束，未触发；下一年度再低于70%即触发"),
        "K1 carries"
    );
    assert!(
        !html.contains("再有一期低于70%即触发"),
        "no open wording after the window"
    );
    // O2's card: the window ended without triggering; no follow-up asked.
    let cards = closed.join("reports/units-zh/cards");
    let card = std::fs::read_dir(&cards)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .find(|t| t.contains("乙村党支部"))
        .expect("O2's card");
    assert!(
        card.contains("2012 年评议期已结束，未触发诫勉谈话规则。"),
        "{card}"
    );
}

#[test]
fn a_bad_rule_window_is_refused_naming_its_key() {
    let d = Dir::new();
    d.write("bad.toml", "[breach.window]\ncadre = \"month\"\n");
    let r = d.run(&["config", "check", "bad.toml"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("breach.window.cadre"), "{}", r.stderr);
    assert!(
        r.stderr.contains("year"),
        "says what is allowed: {}",
        r.stderr
    );
    // A pooled year has no post-stratified interval: refused, not guessed.
    d.write("ps.toml", "[breach]\nbasis = \"post_stratified\"\n");
    let r = d.run(&["config", "check", "ps.toml"]);
    assert!(r.stderr.contains("breach.window.cadre"), "{}", r.stderr);
    d.write(
        "ok.toml",
        "[breach]\nbasis = \"post_stratified\"\n[breach.window]\ncadre = \"period\"\n",
    );
    d.ok(&["config", "check", "ok.toml"]);
}

/// The subjects with a rating in `year`, read from the warehouse's ratings
/// Parquet directly (polars, not pingyi's tables).
fn rated_in(wh: &std::path::Path, year: &str) -> usize {
    use polars::prelude::*;
    let mut ids = BTreeSet::new();
    let mut stack = vec![wh.join("ratings")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                // Hive partitions: ratings/period=2012Q3/…
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if !name.starts_with("period=") || name["period=".len()..].starts_with(year) {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "parquet") {
                let df = ParquetReader::new(std::fs::File::open(&p).unwrap())
                    .finish()
                    .unwrap();
                let col = df
                    .column("subject_id")
                    .unwrap()
                    .cast(&DataType::String)
                    .unwrap();
                ids.extend(col.str().unwrap().iter().flatten().map(str::to_string));
            }
        }
    }
    ids.len()
}

#[test]
fn every_tile_says_its_window_and_counts_within_it() {
    let d = crate::util::county();
    d.ok(&["report", "--audience", "leadership"]);
    let html = std::fs::read_to_string(d.join("reports/leadership-zh/leadership.html")).unwrap();
    let tiles = html
        .split("<div class=\"figures\">")
        .nth(1)
        .expect("the headline tiles")
        .split("<div class=\"two\">")
        .next()
        .unwrap();
    let label = regex::Regex::new(r#"<div class="label">(.*?)</div>"#).unwrap();
    let labels: Vec<&str> = label
        .captures_iter(tiles)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert!(labels.len() >= 8, "{labels:?}");
    for l in &labels {
        // A year's figure says 2012; the ledger's says the day it stands at.
        assert!(
            l.contains(" · 2012") || l.contains("截至 2012-12-31"),
            "a tile without its window: {l}"
        );
        // No count spanning two years beside the one-year figures.
        assert!(!l.contains("2011Q1–"), "{l}");
    }
    let tile = regex::Regex::new(
        r#"<div class="value">([\d,]+)</div><div class="label">被评议对象 · 2012</div>"#,
    )
    .unwrap();
    let shown: usize = tile
        .captures(&html)
        .expect("the subjects tile says its year")[1]
        .replace(',', "")
        .parse()
        .unwrap();
    assert_eq!(shown, rated_in(crate::util::sample_warehouse(), "2012"));
    // The summary's sentences say their year, or the day the ledger stands at.
    let summary = html
        .split("<ul class=\"summary\">")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap();
    for li in summary.split("<li").skip(1) {
        assert!(
            li.contains("2012") || li.contains("截至 2012-12-31"),
            "a summary line without its window: {li}"
        );
    }
}

#[test]
fn duckdb_counts_the_windows_as_pingyi_does_before_and_after_the_year_ends() {
    // The SQL models (breaches, watchlist) against pingyi's tables on the
    // hand-built county: K2's two pooled years, the open and the closed
    // window (statuses open, closed, carries).
    for as_of in ["2012-11-30", "2013-01-15"] {
        let d = county("", as_of);
        let out = std::process::Command::new(crate::util::engines_python())
            .arg(crate::util::repo().join("queries/engines/duckdb_run.py"))
            .arg("--warehouse")
            .arg(d.join("wh"))
            .arg("--config")
            .arg(d.join("pingyi.toml"))
            .arg("--out")
            .arg(d.join("m"))
            .args(["--compute", "--check", "--as-of", as_of])
            .output()
            .expect("run the DuckDB runner");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{as_of}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for model in ["breaches", "watchlist", "grades"] {
            let line = stdout
                .lines()
                .find(|l| l.split_whitespace().next() == Some(model))
                .unwrap_or_else(|| panic!("no line for {model}:\n{stdout}"));
            assert!(line.ends_with("same as pingyi"), "{as_of}: {line}");
        }
    }
}
