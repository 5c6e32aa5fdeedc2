//! 诫勉谈话 cases (issue 37): a certain breach opens a case with the leader
//! of the subject's hierarchy and a due date in working days; a likely one
//! opens none; the department's case sheet round-trips through ingest
//! (0 quarantined when filled right, bad rows quarantined with reasons,
//! history kept); `pingyi cases` filters and writes; the leadership page's
//! action plan lists the cases first.

use std::collections::BTreeMap;

use crate::util::{inbox_with, split_csv, Dir, PLAIN_HEAD};

/// A: a county body; C: a village cadre; L: a cadre whose breach is only
/// likely.
const ROSTER: &str = "被评议对象编号,名称,类型,组织类型,乡镇,村(社区),所属组织,职务\n\
A,甲局党支部,组织,机关,中枢镇,,,\n\
C,李四,干部,农村,中枢镇,下平村,下平村党总支,党总支书记\n\
L,王五,干部,农村,金马镇,上和村,上和村党总支,村委会主任\n";

/// `n` forms (one rating each, distinct people) with `satisfied` 满意.
fn forms(out: &mut String, subject: &str, date: &str, satisfied: u32, n: u32) {
    for i in 0..n {
        let label = if i < satisfied { "满意" } else { "不满意" };
        out.push_str(&format!(
            "{subject}-{date}-{i},{subject},{date},服务对象,群众测评,问卷,{label}\n"
        ));
    }
}

/// A: 2012Q2 5/25 (certain below 60%); C: 2012Q3 5/25 (certain); L: 2012Q2
/// 13/25 (52%: below 60%, interval straddles: likely).
pub fn warehouse() -> Dir {
    let d = inbox_with(
        // Cadres counted by quarter here: these tests are about cases
        // (a case opens after its breach's last quarter); the pooled year is
        // tests/it/window.rs's.
        "[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\nreports = \"reports\"\n[report]\nas_of = \"2012-12-31\"\n[breach.window]\ncadre = \"period\"\n",
        ROSTER,
    );
    let mut r = String::from(PLAIN_HEAD);
    forms(&mut r, "A", "2012-05-10", 5, 25);
    forms(&mut r, "C", "2012-08-10", 5, 25);
    forms(&mut r, "L", "2012-05-10", 13, 25);
    d.write("in/ratings.csv", &r);
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    d
}

fn rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let header = split_csv(lines.next().unwrap_or_default());
    lines
        .map(|l| header.iter().cloned().zip(split_csv(l)).collect())
        .collect()
}

fn cases(d: &Dir, args: &[&str]) -> Vec<BTreeMap<String, String>> {
    let mut all = vec!["cases", "--format", "csv"];
    all.extend_from_slice(args);
    rows(&d.ok(&all).stdout)
}

/// Quarantine counts by reason of an ingest's JSON report.
fn quarantined(d: &Dir, file: &str) -> BTreeMap<String, u64> {
    let r = d.run(&["ingest", "--json", file]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("ingest --json");
    let f = &v["files"][0];
    assert_eq!(f["kind"], "cases", "{}", r.stdout);
    serde_json::from_value(f["quarantined_by_reason"].clone()).unwrap()
}

#[test]
fn a_certain_breach_opens_a_case_with_its_leader_and_a_working_day_due_date() {
    let d = warehouse();
    let all = cases(&d, &[]);
    let ids: Vec<&str> = all.iter().map(|r| r["case_id"].as_str()).collect();
    assert_eq!(ids, ["2012-A", "2012-C"], "a likely breach opens no case");
    let (a, c) = (&all[0], &all[1]);
    // A county body answers to the organization department.
    assert_eq!(a["leader"], "县委组织部");
    // 2012Q2 ends 06-30: opened 07-01 (a Sunday); 10 working days → 07-13.
    assert_eq!(
        (a["opened_on"].as_str(), a["due"].as_str()),
        ("2012-07-01", "2012-07-13")
    );
    // A village cadre: the township's party secretary; the unit and position.
    assert_eq!(c["leader"], "中枢镇党委书记");
    assert_eq!(
        (c["unit"].as_str(), c["position"].as_str()),
        ("下平村党总支", "党总支书记")
    );
    // Opened on National Day: the holiday week does not count → 10-19.
    assert_eq!(
        (c["opened_on"].as_str(), c["due"].as_str()),
        ("2012-10-01", "2012-10-19")
    );
    assert!(all
        .iter()
        .all(|r| r["status"] == "待谈话" && r["overdue"] == "true"));
    assert_eq!(cases(&d, &["--township", "金马镇"]).len(), 0);
}

#[test]
fn the_case_sheet_round_trips_with_bad_rows_quarantined_and_history_kept() {
    let d = warehouse();
    let template = d.join("sheet.xlsx");
    d.ok(&["cases", "--template", template.to_str().unwrap()]);
    assert!(std::fs::metadata(&template).unwrap().len() > 0);

    d.write(
        "good.csv",
        "案件编号,状态,谈话日期,谈话结果,不予谈话理由,谈话人\n2012-A,已谈话,2012-07-10,已诫勉,,张部长\n",
    );
    assert!(quarantined(&d, "good.csv").is_empty());
    let held = cases(&d, &["--status", "held"]);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["case_id"], "2012-A");
    assert_eq!(held[0]["overdue"], "false");
    assert_eq!(held[0]["held_on"], "2012-07-10");
    let overdue = cases(&d, &["--overdue"]);
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["case_id"], "2012-C");

    d.write(
        "bad.csv",
        "案件编号,状态,谈话日期,谈话结果,不予谈话理由,谈话人\n\
2012-X,已谈话,2012-11-01,已诫勉,,张部长\n\
2012-C,已谈话,,已诫勉,,王书记\n\
2012-C,已谈话,2012-09-20,已诫勉,,王书记\n\
2012-C,不予谈话,,,,\n\
2012-C,已延期,,,,\n",
    );
    let by_reason = quarantined(&d, "bad.csv");
    let want: BTreeMap<String, u64> = [
        ("unknown_case", 1),
        ("held_without_date", 1),
        ("held_before_opened", 1),
        ("declined_without_reason", 1),
        ("unknown_status", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(by_reason, want);

    // A second sheet changes A's outcome and declines C's talk.
    d.write(
        "later.csv",
        "案件编号,状态,谈话日期,谈话结果,不予谈话理由,谈话人\n2012-A,已谈话,2012-07-10,已诫勉并限期整改,,张部长\n2012-C,不予谈话,,,已调离原岗位,\n",
    );
    assert!(quarantined(&d, "later.csv").is_empty());
    assert!(cases(&d, &["--overdue"]).is_empty());
    let history = d.ok(&["cases", "--history", "2012-A"]).stdout;
    assert!(history.contains("已诫勉并限期整改"), "{history}");
    assert_eq!(history.matches("张部长").count(), 2, "{history}");
    let out = d.join("cases.csv");
    d.ok(&["cases", "--out", out.to_str().unwrap()]);
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.starts_with('\u{feff}') && written.contains("已调离原岗位"));
}

#[test]
fn the_action_plan_lists_talks_then_draws_by_township_with_unit_and_position() {
    let d = warehouse();
    d.ok(&["report", "--audience", "leadership"]);
    let html = std::fs::read_to_string(d.join("reports/leadership-zh/leadership.html")).unwrap();
    let start = html
        .find("<section id=\"actions\"")
        .expect("the action section");
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    // Firm cases first, overdue said in words, with leader and due date.
    let talk_a = section.find("诫勉谈话 · 2012-A").expect("case A");
    let talk_c = section.find("诫勉谈话 · 2012-C").expect("case C");
    let draws = section
        .find("金马镇：补充评议 1 个对象")
        .expect("draws by township");
    assert!(talk_a < draws && talk_c < draws, "talks before draws");
    assert!(section.contains("中枢镇党委书记") && section.contains("县委组织部"));
    assert!(section.contains("2012-10-19") && section.contains("<strong>逾期</strong>"));
    // Names carry unit and position; the likely breach is a draw, not a case.
    assert!(
        section.contains("下平村党总支 · 党总支书记 · C"),
        "{section}"
    );
    assert!(
        section.contains("上和村党总支 · 村委会主任 · L"),
        "{section}"
    );
    assert!(!section.contains("2012-L"));
    // The operator's command is in the methodology, not in the action plan.
    assert!(!section.contains("pingyi"));
    assert!(html.contains("pingyi sample --targets"));
    // Overdue cases count toward attention.
    let status = d.ok(&["status"]).stdout;
    assert!(
        status.contains("诫勉谈话 cases: 2 待谈话, 2 overdue"),
        "{status}"
    );
}
