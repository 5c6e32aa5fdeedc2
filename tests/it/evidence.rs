//! Evidence on people (DESIGN §5 "Evidence"): intervals with forms as
//! clusters, checked against R's `survey` package. The reference values
//! and the ratings they were computed from are committed beside the script
//! that made them (`tests/reference/survey_clustered.R`); R is not needed
//! here.

use std::collections::BTreeMap;

use crate::compute::query;
use crate::util::{csv_records, draw, inbox_with, repo, Dir};

const ROSTER: &str = "被评议对象编号,名称,类型,组织类型,乡镇\n\
S1,甲局党支部,组织,机关,中枢镇\nS2,乙局党支部,组织,机关,中枢镇\n\
S3,丙局党支部,组织,机关,金马镇\nS4,丁局党支部,组织,机关,金马镇\n\
S5,戊局党支部,组织,机关,旧城镇\nS6,己局党支部,组织,机关,白水镇\n";

/// A warehouse of the reference ratings, computed, with `extra` configuration.
pub fn reference_warehouse(extra: &str) -> Dir {
    let d = inbox_with(
        &format!("[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\n[report]\nas_of = \"2012-12-31\"\n{extra}"),
        ROSTER,
    );
    std::fs::copy(
        repo().join("tests/reference/clustered_ratings.csv"),
        d.join("in/ratings.csv"),
    )
    .unwrap();
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    d
}

/// R's rows, keyed by (table, group, period), each column by name.
fn reference() -> BTreeMap<(String, String, String), BTreeMap<String, String>> {
    let text =
        std::fs::read_to_string(repo().join("tests/reference/clustered_reference.csv")).unwrap();
    let rows = csv_records(&text);
    let header = rows[0].clone();
    rows[1..]
        .iter()
        .map(|r| {
            let m: BTreeMap<String, String> =
                header.iter().cloned().zip(r.iter().cloned()).collect();
            (
                (m["table"].clone(), m["group"].clone(), m["period"].clone()),
                m,
            )
        })
        .collect()
}

fn close(what: &str, got: &str, want: &str) {
    let (g, w): (f64, f64) = (got.parse().unwrap(), want.parse().unwrap());
    assert!((g - w).abs() <= 1e-6, "{what}: pingyi {g}, R {w}");
}

/// Compares pingyi's row (columns named in `cols`) with R's.
fn check(what: &str, cols: &[&str], got: &[String], want: &BTreeMap<String, String>) {
    for (c, g) in cols.iter().zip(got) {
        close(&format!("{what} {c}"), g, &want[*c]);
    }
}

#[test]
fn clustered_intervals_match_r_survey() {
    let d = reference_warehouse("");
    let r = reference();
    let raw = ["valid", "raters", "rate", "n_eff", "ci_low", "ci_high"];
    let ps = ["rate_ps", "ps_n_eff", "ps_ci_low", "ps_ci_high"];
    let sp = query(&d, "select subject_id, period, valid, raters, rate, n_eff, ci_low, ci_high, rate_ps, ps_n_eff, ps_ci_low, ps_ci_high from subject_period order by subject_id, period");
    assert_eq!(sp.len(), 7);
    for row in &sp {
        let want = &r[&("subject_period".into(), row[0].clone(), row[1].clone())];
        let what = format!("subject_period {} {}", row[0], row[1]);
        check(&what, &raw, &row[2..8], want);
        check(&what, &ps, &row[8..12], want);
    }
    let g = query(&d, "select subject_id, \"window\", valid, raters, rate, n_eff, ci_low, ci_high from grades order by subject_id");
    assert_eq!(g.len(), 6);
    for row in &g {
        let want = &r[&("grades".into(), row[0].clone(), row[1].clone())];
        check(&format!("grades {}", row[0]), &raw, &row[2..8], want);
    }
    // A form rating two subjects of a township is one cluster of it.
    let t = query(&d, "select \"group\", period, valid, raters, rate, n_eff, ci_low, ci_high from group_period where level = 'township' and span = 'period' order by \"group\", period");
    assert_eq!(t.len(), 5);
    for row in &t {
        let want = &r[&("township".into(), row[0].clone(), row[1].clone())];
        check(
            &format!("township {} {}", row[0], row[1]),
            &raw,
            &row[2..8],
            want,
        );
    }
    let h = query(
        &d,
        "select valid, raters, rate, n_eff, ci_low, ci_high from headline",
    );
    check(
        "headline",
        &raw,
        &h[0],
        &r[&("headline".into(), "全县".into(), "all".into())],
    );
}

#[test]
fn the_worked_example_of_the_design_holds() {
    // DESIGN §5: one rating per form, 30/60/10 raters at 80/90/40%, quotas
    // 55/35/10: p_ps = 0.795, SE 0.0453614, ps_n_eff 79.20, [0.69346, 0.86925].
    let d = reference_warehouse("");
    let s6 = query(&d, "select rate_ps, ps_n_eff, ps_ci_low, ps_ci_high, raters, n_eff from subject_period where subject_id = 'S6'");
    let v: Vec<f64> = s6[0].iter().map(|x| x.parse().unwrap()).collect();
    assert!((v[0] - 0.795).abs() < 1e-12, "{}", v[0]);
    let se = (v[0] * (1.0 - v[0]) / v[1]).sqrt();
    assert!((se - 0.0453614).abs() < 5e-8, "SE {se}");
    assert!((v[1] - 79.20).abs() < 0.005, "ps_n_eff {}", v[1]);
    assert!(
        (v[2] - 0.69346).abs() < 5e-6 && (v[3] - 0.86925).abs() < 5e-6,
        "{v:?}"
    );
    // One rating per form: the raw interval is Wilson on the count.
    assert_eq!((v[4], v[5]), (100.0, 100.0));
}

#[test]
fn a_form_counts_once_however_many_items_it_rates() {
    // S3 is one form of three items: one person, n_eff 1, an interval as wide
    // as one rating's; S4 (p = 1) rests on its 5 forms, not its 10 ratings.
    let d = reference_warehouse("");
    let s = query(&d, "select subject_id, valid, raters, n_eff from subject_period where subject_id in ('S3', 'S4') order by subject_id");
    assert_eq!(
        s,
        vec![vec!["S3", "3", "1", "1.0"], vec!["S4", "10", "5", "5.0"]]
    );
}

#[test]
fn evidence_labels_count_people_not_ratings() {
    // S1 breaks "two below 70%" in 2012 on 35 and 16 valid ratings, which
    // came from 12 and 8 forms: too few people, however many ratings.
    let d = reference_warehouse("");
    let b = query(
        &d,
        "select subject_id, rule, evidence, valid, raters, period_evidence from breaches",
    );
    assert_eq!(
        b,
        vec![vec![
            "S1",
            "below 70% × 2",
            "thin",
            "35,16",
            "12,8",
            "thin,thin"
        ]]
    );
    // S2 (13 forms) is watched on too few people; S5 (30 forms, 66.7%) on
    // enough, its interval reaching 70%: possibly below.
    let w = query(
        &d,
        "select subject_id, raters, evidence from watchlist order by subject_id",
    );
    assert_eq!(
        w,
        vec![
            vec!["S2", "13", "thin"],
            vec!["S3", "1", "thin"],
            vec!["S5", "30", "likely"]
        ]
    );
    // With the minimum at 5 people, S1's periods are possibly below (their
    // intervals reach 70%); the breach is not certain.
    let d = reference_warehouse("[rules]\nmin_raters = 5\n");
    let b = query(&d, "select evidence, period_evidence from breaches");
    assert_eq!(b, vec![vec!["likely", "likely,likely"]]);
}

#[test]
fn a_configuration_without_people_is_refused() {
    let d = Dir::new();
    d.write("bad.toml", "[rules]\nmin_raters = 0\n");
    let r = d.run(&["config", "check", "bad.toml"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("rules.min_raters"), "{}", r.stderr);
    d.write("bad2.toml", "[rules]\nplan_half_width = 0.7\n");
    let r = d.run(&["config", "check", "bad2.toml"]);
    assert!(r.stderr.contains("rules.plan_half_width"), "{}", r.stderr);
}

/// The grade bands of the default configuration.
const BANDS: [&str; 4] = ["优秀", "良好", "一般", "较差"];

#[test]
fn no_output_grades_anyone_on_fewer_than_the_minimum_of_people() {
    let d = crate::util::county();
    d.ok(&["report"]);
    // The table every output reads: no band below 20 people.
    let thin: std::collections::BTreeSet<String> = query(
        &d,
        "select subject_id from grades where \"window\" = '2012' and raters < 20",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    assert!(
        thin.len() > 1000,
        "the sample grades thousands on few people: {}",
        thin.len()
    );
    let graded = query(
        &d,
        "select count(*) from grades where raters < 20 and grade is not null",
    );
    assert_eq!(graded, vec![vec!["0"]]);
    let no_grade = "不评定等次（评议人数不足）";
    // hr.xlsx's grade sheet as CSV, and the public CSV: every thin subject's
    // grade cell says no grade (or is withheld), never a band.
    for (file, id_col) in [
        ("reports/leadership-zh/csv/grades.csv", "编号"),
        ("reports/public-zh/public.csv", "编号"),
    ] {
        let text = std::fs::read_to_string(d.join(file)).unwrap();
        let rows = csv_records(text.trim_start_matches('\u{feff}'));
        let h = &rows[0];
        let at = |name: &str| {
            h.iter()
                .position(|c| c == name)
                .unwrap_or_else(|| panic!("{file}: no {name} in {h:?}"))
        };
        let (id, grade) = (at(id_col), at("等次"));
        let mut seen = 0;
        for r in &rows[1..] {
            if thin.contains(&r[id]) {
                seen += 1;
                assert!(!BANDS.contains(&r[grade].as_str()), "{file}: {r:?}");
                assert!(r[grade].is_empty() || r[grade] == no_grade, "{file}: {r:?}");
            }
        }
        assert!(seen > 0, "{file} lists no thin subject");
    }
    // The cards and their index.
    for id in thin.iter().take(400) {
        let card =
            std::fs::read_to_string(d.join(&format!("reports/units-zh/cards/{id}.html"))).unwrap();
        for band in BANDS {
            assert!(
                !card.contains(&format!("<div class=\"value\">{band}</div>")),
                "{id}: {band}"
            );
        }
        assert!(card.contains(no_grade), "{id}");
    }
    let index = std::fs::read_to_string(d.join("reports/units-zh/index.html")).unwrap();
    for line in index.lines().filter(|l| l.contains("data-status")) {
        let id = line
            .split("<td>")
            .nth(1)
            .and_then(|c| c.split("</td>").next())
            .unwrap_or("");
        if thin.contains(id) {
            for band in BANDS {
                assert!(!line.contains(&format!("<td>{band}</td>")), "{line}");
            }
        }
    }
    // The public board: no 较差 posted at all on fewer than 20 people, so
    // none of its rows with fewer raters shows a band.
    let board = std::fs::read_to_string(d.join("reports/public-zh/public.html")).unwrap();
    let row = regex::Regex::new(
        r#"<td class="num">(\d+|&lt;\d+)</td><td class="num">[^<]*</td><td>([^<]*)</td>"#,
    )
    .unwrap();
    let mut rows = 0;
    for c in row.captures_iter(&board) {
        let raters: u64 = c[1].parse().unwrap_or(0);
        if raters < 20 {
            rows += 1;
            assert!(
                !BANDS.contains(&&c[2]),
                "public board: {} on {raters}",
                &c[2]
            );
        }
    }
    assert!(rows > 0, "the board shows subjects on few people");
}

#[test]
fn cards_show_no_rate_resting_on_fewer_than_five_people() {
    let d = crate::util::county();
    d.ok(&["report", "--audience", "units"]);
    // A cadre-quarter on one person, as the sample has thousands.
    let one = query(&d, "select subject_id, period from subject_period where raters = 1 and rate = 0 order by subject_id, period limit 1");
    let (id, period) = (&one[0][0], &one[0][1]);
    let card =
        std::fs::read_to_string(d.join(&format!("reports/units-zh/cards/{id}.html"))).unwrap();
    let row = card
        .lines()
        .flat_map(|l| l.split("<tr>"))
        .find(|r| r.starts_with(&format!("<td>{period}</td>")))
        .unwrap_or_else(|| panic!("{id}: no row for {period}"));
    assert!(row.contains("&lt;5"), "{row}");
    assert!(!row.contains('%'), "a rate on one person: {row}");
    // In every card, a year whose total is published hides no single
    // period alone (it could be derived from the total and the others),
    // and no card names the rule on evidence that is not sufficient.
    let certain: std::collections::BTreeSet<String> = query(
        &d,
        "select subject_id from breaches where \"window\" = '2012' and evidence = 'certain'",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    // A hidden period shows "—" for its valid ratings.
    let period_row = regex::Regex::new(
        r#"<tr><td>(\d{4})Q\d</td><td class="num">[^<]*</td><td class="num">([^<]*)</td>"#,
    )
    .unwrap();
    for e in std::fs::read_dir(d.join("reports/units-zh/cards")).unwrap() {
        let path = e.unwrap().path();
        let card = std::fs::read_to_string(&path).unwrap();
        let id = path.file_stem().unwrap().to_string_lossy().to_string();
        if card.contains("已触发诫勉谈话规则") {
            assert!(
                certain.contains(&id),
                "{id} names the rule on thin evidence"
            );
        }
        let mut years: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for c in period_row.captures_iter(&card) {
            let y = years.entry(c[1].to_string()).or_default();
            y.0 += 1;
            y.1 += usize::from(&c[2] == "—");
        }
        for (year, (rows, hidden)) in years {
            assert!(
                hidden != 1 || rows == 1,
                "{id} {year}: one period hidden of {rows}"
            );
        }
    }
}

#[test]
fn the_plan_says_how_many_people_a_firm_answer_needs_and_the_draw_takes_it() {
    let d = crate::util::county();
    d.ok(&["report", "--audience", "leadership"]);
    let html = std::fs::read_to_string(d.join("reports/leadership-zh/leadership.html")).unwrap();
    // One line per kind of subject says what the design can decide.
    let line = regex::Regex::new(r"干部：([\d,]+) 个被评议对象中，2012 年评议人数达到 20 人、可作判断（评定等次）的有 ([\d,]+) 个；评议人数中位数为 (\d+) 人，按置信区间半宽 ±10 个百分点的精度，作出确定判断每个约需 (\d+) 人评议").unwrap();
    let c = line.captures(&html).expect("the design line for cadres");
    let judged: u64 = c[2].replace(',', "").parse().unwrap();
    let planned: u64 = c[4].parse().unwrap();
    let counted = query(&d, "select count(*) from grades g join subjects s on g.subject_id = s.subject_id where g.\"window\" = '2012' and s.kind = '干部' and g.raters >= 20");
    assert_eq!(judged.to_string(), counted[0][0]);
    assert!((80..=400).contains(&planned), "{planned}");
    // Each row of the target list: the plan k* = ⌈z²p(1−p)/h²·k/n_eff⌉ (at
    // least 20) for its period, by hand from the subject_period row.
    let text =
        std::fs::read_to_string(d.join("reports/leadership-zh/csv/needs-ratings.csv")).unwrap();
    let rows = csv_records(text.trim_start_matches('\u{feff}'));
    let h = &rows[0];
    let at = |n: &str| {
        h.iter()
            .position(|c| c == n)
            .unwrap_or_else(|| panic!("no {n} in {h:?}"))
    };
    let (id, period, people, needed) = (
        at("编号"),
        at("期次"),
        at("所需评议人数"),
        at("尚需评议人数"),
    );
    let z2 = 1.959963984540054f64.powi(2);
    let mut total = 0u64;
    for r in rows[1..].iter().take(50) {
        // A cadre's evaluation is the pooled year (breach.window): its cell
        // is the grades row.
        let sql = if r[period].len() == 4 {
            format!("select rate, raters, n_eff from grades where subject_id = '{}' and \"window\" = '{}'", r[id], r[period])
        } else {
            format!("select rate, raters, n_eff from subject_period where subject_id = '{}' and period = '{}'", r[id], r[period])
        };
        let sp = query(&d, &sql);
        let (p, k, n): (f64, f64, f64) = (
            sp[0][0].parse().unwrap(),
            sp[0][1].parse().unwrap(),
            sp[0][2].parse().unwrap(),
        );
        let edge = 1.0 / (k + 1.0);
        let p = p.clamp(edge, 1.0 - edge);
        let want = ((z2 * p * (1.0 - p) / 0.01 * k / n).ceil() as u64).max(20);
        assert_eq!(r[people].parse::<u64>().unwrap(), want, "{r:?}");
        total += r[needed].parse::<u64>().unwrap();
    }
    assert!(total > 0);
    // `pingyi sample --targets` sizes itself from the people missing.
    let needs = d.join("reports/leadership-zh/csv/needs-ratings.csv");
    let r = draw(&d, needs.to_str().unwrap(), "plan", &["--seed", "11"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let planned_total: u64 = regex::Regex::new(r"(\d+) people planned in all")
        .unwrap()
        .captures(&r.stdout)
        .unwrap_or_else(|| panic!("{}", r.stdout))[1]
        .parse()
        .unwrap();
    assert!(planned_total > 0, "{}", r.stdout);
    let audit: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("plan/audit.json")).unwrap()).unwrap();
    assert_eq!(audit["size"]["mode"], "targets");
    assert_eq!(audit["size"]["n"], planned_total);
    d.ok(&["sample", "--check", "plan"]);
}
