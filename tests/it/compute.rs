//! `pingyi compute`: rates, intervals, breaches, watchlist and grades on a
//! warehouse built from hand-made ratings whose answers are worked out by
//! hand (and, for intervals, by statsmodels).

use crate::util::{inbox_with, split_csv, Dir, PLAIN_HEAD};

const ROSTER: &str = "被评议对象编号,名称,类型,组织类型,乡镇\nA,甲局党支部,组织,机关,中枢镇\nB,乙局党支部,组织,机关,中枢镇\nC,丙局党支部,组织,机关,金马镇\nD,丁局党支部,组织,机关,金马镇\nE,戊局党支部,组织,机关,旧城镇\nF,己局党支部,组织,机关,旧城镇\nG,庚局党支部,组织,机关,旧城镇\nH,辛局党支部,组织,机关,白水镇\n";

/// `satisfied` 满意, `unsatisfied` 不满意 and `abstain` 不了解 ratings of a subject on a date.
fn rows(
    out: &mut String,
    subject: &str,
    date: &str,
    satisfied: u32,
    unsatisfied: u32,
    abstain: u32,
) {
    let labels = std::iter::repeat_n("满意", satisfied as usize)
        .chain(std::iter::repeat_n("不满意", unsatisfied as usize))
        .chain(std::iter::repeat_n("不了解", abstain as usize));
    for (i, l) in labels.enumerate() {
        out.push_str(&format!(
            "{subject}-{date}-{i},{subject},{date},服务对象,群众测评,问卷,{l}\n"
        ));
    }
}

/// A warehouse of `ratings` (CSV rows after the header) and the roster.
fn warehouse_of(extra_config: &str, ratings: &str) -> Dir {
    let d = inbox_with(
        &format!("[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\n[report]\nas_of = \"2012-12-31\"\n{extra_config}"),
        ROSTER,
    );
    std::fs::write(d.join("in/ratings.csv"), format!("{PLAIN_HEAD}{ratings}")).unwrap();
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    d
}

pub fn warehouse(extra_config: &str) -> Dir {
    let d = inbox_with(
        &format!("[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\n[report]\nas_of = \"2012-12-31\"\n{extra_config}"),
        ROSTER,
    );
    let mut r = String::from(PLAIN_HEAD);
    rows(&mut r, "A", "2012-02-01", 18, 2, 2); // 0.90 of 20
    rows(&mut r, "A", "2012-05-01", 6, 4, 0); // exactly 0.60: not below 60%, below 70%
    rows(&mut r, "A", "2012-08-01", 7, 3, 0); // exactly 0.70: not below 70%
    rows(&mut r, "B", "2012-02-01", 5, 5, 0); // 0.50: below 60% once
    rows(&mut r, "C", "2012-02-01", 13, 7, 0); // 0.65
    rows(&mut r, "C", "2012-05-01", 13, 7, 0); // 0.65: twice below 70%
    rows(&mut r, "D", "2012-02-01", 0, 0, 5); // all abstain: no rate
    rows(&mut r, "E", "2011-11-15", 5, 5, 0); // 0.50 in 2011
    rows(&mut r, "E", "2012-01-15", 13, 7, 0); // 0.65 in 2012: one below 70%
    rows(&mut r, "F", "2012-02-01", 10, 30, 0); // 0.25 of 40: certainly below 60%
                                                // G: 10 service clients (8 satisfied), 3 retired cadres (2 satisfied, 1 abstains), no deputies.
    rows(&mut r, "G", "2012-02-01", 8, 2, 0);
    for (i, l) in ["满意", "满意", "不了解"].iter().enumerate() {
        r.push_str(&format!(
            "G-r{i},G,2012-02-01,离退休老干部,群众测评,问卷,{l}\n"
        ));
    }
    // H declines over five quarters of 2011: 0.9, 0.8, 0.8, 0.7, 0.6.
    for (date, sat) in [
        ("2011-01-10", 9),
        ("2011-04-10", 8),
        ("2011-07-10", 8),
        ("2011-10-10", 7),
        ("2012-01-10", 6),
    ] {
        rows(&mut r, "H", date, sat, 10 - sat, 0);
    }
    std::fs::write(d.join("in/ratings.csv"), r).unwrap();
    let ledger =
        "台账编号,被评议对象编号,收集日期,收集方式,问题类别,现场答复,完成时限,整改状态,销号日期\n\
L1,A,2012-03-01,民情恳谈,就业,是,2012-04-01,已销号,2012-03-11\n\
L2,A,2012-03-01,民情恳谈,就业,否,2012-06-01,已销号,2012-04-30\n\
L3,B,2012-05-01,随机抽查,困难帮扶,否,2012-07-01,整改中,\n\
L4,B,2012-11-01,随机抽查,困难帮扶,否,2013-02-01,未整改,\n";
    std::fs::write(d.join("in/ledger.csv"), ledger).unwrap();
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    d
}

pub fn query(d: &Dir, sql: &str) -> Vec<Vec<String>> {
    d.ok(&["query", "--format", "csv", sql])
        .stdout
        .lines()
        .skip(1)
        .map(split_csv)
        .collect()
}

#[test]
fn rates_and_wilson_intervals_per_subject_and_period() {
    let d = warehouse("");
    let a = query(&d, "select period, valid, satisfied, abstained, rate, ci_low, ci_high from subject_period where subject_id = 'A' order by period");
    assert_eq!(a[0][..5], ["2012Q1", "20", "18", "2", "0.9"]);
    // statsmodels proportion_confint(18, 20, method="wilson")
    let (lo, hi): (f64, f64) = (a[0][5].parse().unwrap(), a[0][6].parse().unwrap());
    assert!(
        (lo - 0.6989663548).abs() < 1e-9 && (hi - 0.9721335188).abs() < 1e-9,
        "{lo} {hi}"
    );
    // All abstain: the period is there, with no rate.
    assert_eq!(
        query(
            &d,
            "select valid, abstained, rate, ci_low from subject_period where subject_id = 'D'"
        ),
        vec![vec!["0", "5", "", ""]]
    );
    // County level pools everything of a period: 20 + 10 + 20 + 0 + 20 + 40 + 12 + 10 valid.
    assert_eq!(query(&d, "select valid, satisfied from group_period where level = 'county' and period = '2012Q1'"), vec![vec!["132", "75"]]);
    assert_eq!(
        query(
            &d,
            "select count(*) from group_period where level = 'township' and period = '2012Q1'"
        ),
        vec![vec!["4"]]
    );
}

#[test]
fn every_level_per_assessment_year_too() {
    let d = warehouse("");
    // 2011: E's 10 ratings in 2011Q4 and H's 40 over four quarters.
    assert_eq!(query(&d, "select valid, satisfied from group_period where level = 'county' and span = 'year' and period = '2011'"), vec![vec!["50", "37"]]);
    // 中枢镇 and 金马镇 in 2012; 旧城镇 and 白水镇 in both years.
    assert_eq!(
        query(
            &d,
            "select count(*) from group_period where level = 'township' and span = 'year'"
        ),
        vec![vec!["6"]]
    );
}

#[test]
fn the_seed_rule_with_evidence_exact_thresholds_and_year_windows() {
    let d = warehouse("");
    let b = query(&d, "select subject_id, \"window\", rule, periods, rates, period_evidence, evidence, action from breaches order by \"window\", subject_id");
    assert_eq!(
        b,
        vec![
            vec![
                "E",
                "2011",
                "below 60% × 1",
                "2011Q4",
                "0.5",
                "thin",
                "thin",
                "诫勉谈话"
            ],
            vec![
                "B",
                "2012",
                "below 60% × 1",
                "2012Q1",
                "0.5",
                "thin",
                "thin",
                "诫勉谈话"
            ],
            vec![
                "C",
                "2012",
                "below 70% × 2",
                "2012Q1,2012Q2",
                "0.65,0.65",
                "likely,likely",
                "likely",
                "诫勉谈话"
            ],
            vec![
                "F",
                "2012",
                "below 60% × 1",
                "2012Q1",
                "0.25",
                "certain",
                "certain",
                "诫勉谈话"
            ],
        ]
    );
    // A: 60% and 70% exactly are not below; one period below 70% → watchlist.
    // E: 2011's breach does not carry over; 2012 has one period below 70%.
    // H: 2011 ends at exactly 70%; 2012Q1 at exactly 60% is below 70% only.
    assert_eq!(
        query(
            &d,
            "select subject_id, period from watchlist order by subject_id"
        ),
        vec![
            vec!["A", "2012Q2"],
            vec!["E", "2012Q1"],
            vec!["H", "2012Q1"]
        ]
    );
    // A: 31 of 40 = 0.775 → 一般 (0.70–0.80); D: nothing valid, no grade.
    let g = query(&d, "select subject_id, \"window\", grade from grades where subject_id in ('A', 'D', 'F') order by subject_id, \"window\"");
    assert_eq!(
        g,
        vec![
            vec!["A", "2012", "一般"],
            vec!["D", "2012", ""],
            vec!["F", "2012", "较差"]
        ]
    );
}

#[test]
fn thresholds_come_from_configuration_only() {
    let d = warehouse("[breach]\nrules = [ { below = 0.5, times = 1 }, { below = 0.66, times = 2 } ]\naction = \"提醒谈话\"\n");
    let b = query(
        &d,
        "select subject_id, rule, action from breaches order by subject_id",
    );
    // B's 0.50 is not below 0.5; C's 0.65 twice is below 0.66; F's 0.25 is below 0.5.
    assert_eq!(
        b,
        vec![
            vec!["C", "below 66% × 2", "提醒谈话"],
            vec!["F", "below 50% × 1", "提醒谈话"]
        ]
    );
}

#[test]
fn composition_against_quota_and_post_stratified_rates_by_hand() {
    let d = warehouse("");
    let c = query(&d, "select quota_group, n, valid, satisfied, share, quota, compliant from composition where subject_id = 'G' order by quota_group");
    // 机关 quota 55/35/10: deputies (两代表一委员) are a quota group with no raters.
    assert_eq!(c[0][..4], ["两代表一委员", "0", "0", "0"]);
    assert_eq!(c[1][..4], ["服务对象和群众代表", "10", "10", "8"]);
    assert_eq!(c[2][..4], ["离退休老干部", "3", "2", "2"]);
    let share: f64 = c[1][4].parse().unwrap();
    assert!((share - 10.0 / 13.0).abs() < 1e-12);
    assert!(
        c.iter().all(|r| r[6] == "false"),
        "max deviation 0.35 exceeds the 0.05 tolerance"
    );
    let ps = query(
        &d,
        "select rate, rate_ps, coverage, ps_n_eff from subject_period where subject_id = 'G'",
    );
    let v: Vec<f64> = ps[0].iter().map(|x| x.parse().unwrap()).collect();
    // raw 10/12; post-stratified (0.55·0.8 + 0.10·1.0) / 0.65; ps_n_eff as R
    // survey's svymean on postStratify(svydesign(ids = ~id), ~group, 55/10)
    // gives it: p(1−p)/Var = 11.25 (Var 0.012497041420118), not Kish's size
    // of the weights (0.65² / (0.55²/10 + 0.10²/2)), which would ignore that
    // the groups' own variances differ.
    assert!((v[0] - 10.0 / 12.0).abs() < 1e-12);
    assert!(
        (v[1] - (0.55 * 0.8 + 0.10) / 0.65).abs() < 1e-12,
        "{}",
        v[1]
    );
    assert!((v[2] - 0.65).abs() < 1e-12);
    assert!((v[3] - 11.25).abs() < 1e-9, "{}", v[3]);
    // One group, one rating per form: Var = k/(k−1)·p(1−p)/n, so
    // ps_n_eff = n(k−1)/k = 19, unclamped; the raw n_eff is clamped to
    // [k, valid] = 20, so the raw interval stays Wilson on the count.
    let a = query(&d, "select rate_ps, coverage, ps_n_eff, n_eff, raters from subject_period where subject_id = 'A' and period = '2012Q1'");
    let v: Vec<f64> = a[0].iter().map(|x| x.parse().unwrap()).collect();
    assert_eq!(v[..2], [0.9, 0.55]);
    assert!((v[2] - 19.0).abs() < 1e-9, "{}", v[2]);
    assert_eq!(v[3..], [20.0, 20.0]);
}

#[test]
fn trends_match_pymannkendall_and_need_four_periods() {
    let d = warehouse("");
    let h = query(&d, "select n_periods, delta_last, mk_s, mk_var_s, mk_z, mk_p, tau, sen_slope, declining from trends where level = 'subject' and \"group\" = 'H'");
    let v: Vec<f64> = h[0][..8].iter().map(|x| x.parse().unwrap()).collect();
    // pymannkendall.original_test([0.9, 0.8, 0.8, 0.7, 0.6])
    let want = [
        5.0,
        -10.0,
        -9.0,
        15.666666666666666,
        -2.0211646105596457,
        0.04326272780691065,
        -0.9,
        -0.07083333333333336,
    ];
    for (got, want) in v.iter().zip(want) {
        assert!((got - want).abs() < 1e-9, "{v:?}");
    }
    assert_eq!(h[0][8], "true", "p < 0.05 and a negative slope");
    // Three periods: a change, but no test.
    assert_eq!(query(&d, "select n_periods, mk_s, declining from trends where level = 'subject' and \"group\" = 'A'"), vec![vec!["3", "", "false"]]);
    // One period only: no change either.
    assert_eq!(
        query(
            &d,
            "select n_periods, delta_last from trends where level = 'subject' and \"group\" = 'B'"
        ),
        vec![vec!["1", ""]]
    );
}

/// A group's series holds its quarters only, in time order: the
/// assessment-year rows of `group_period` (`2011`, `2012`) are not periods.
#[test]
fn group_trends_are_quarterly_series_matching_pymannkendall() {
    let d = warehouse("");
    let get = |level: &str, group: &str| -> Vec<f64> {
        let r = query(&d, &format!("select n_periods, delta_last, mk_s, mk_var_s, mk_z, mk_p, tau, sen_slope from trends where level = '{level}' and \"group\" = '{group}'"));
        assert_eq!(r.len(), 1, "{level} {group}: {r:?}");
        r[0].iter().map(|x| x.parse().unwrap()).collect()
    };
    let close = |got: &[f64], want: &[f64]| {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-9, "got {got:?}, want {want:?}");
        }
    };
    // 白水镇 holds only H: its series is H's five quarters.
    // pymannkendall.original_test([0.9, 0.8, 0.8, 0.7, 0.6]); the last change −10 pp.
    close(
        &get("township", "白水镇"),
        &[
            5.0,
            -10.0,
            -9.0,
            15.666666666666666,
            -2.0211646105596457,
            0.04326272780691065,
            -0.9,
            -0.07083333333333336,
        ],
    );
    // The county by quarter, counted by hand from the rows above:
    // 2011Q1..Q4 9/10, 8/10, 8/10, 12/20; 2012Q1 75/132, Q2 19/30, Q3 7/10.
    // pymannkendall.original_test of that series; last change (0.7 − 19/30) × 100.
    close(
        &get("county", "全县"),
        &[
            7.0,
            6.666666666666665,
            -10.0,
            43.333333333333336,
            -1.3671981455629498,
            0.17156320646337742,
            -0.47619047619047616,
            -0.041666666666666685,
        ],
    );
}

#[test]
fn ledger_summary_as_of_the_date() {
    let d = warehouse("");
    let l = query(&d, "select \"group\", suggestions, closed, closure_rate, overdue, median_days_to_close, answered_on_spot from ledger_summary where level = 'subject' order by \"group\"");
    // A: both closed, after 10 and 60 days; B: L3 overdue on 2012-12-31, L4 not yet due.
    assert_eq!(
        l,
        vec![
            vec!["A", "2", "2", "1.0", "0", "35.0", "1"],
            vec!["B", "2", "0", "0.0", "1", "", "0"]
        ]
    );
    assert_eq!(
        query(
            &d,
            "select suggestions, overdue from ledger_summary where level = 'county'"
        ),
        vec![vec!["4", "1"]]
    );
    // 42 + 10 + 40 + 5 + 30 + 40 + 13 + 50 rows for 8 subjects.
    let h = query(
        &d,
        "select ratings, subjects_rated, suggestions from headline",
    );
    assert_eq!(h, vec![vec!["230", "8", "4"]]);
}

#[test]
fn the_breach_basis_can_be_post_stratified() {
    // B's 2012Q1: 10 service clients, 4 satisfied; 10 deputies, all satisfied.
    // Raw 14/20 = 0.70 (not below 70%); post-stratified (0.55·0.4 + 0.35·1.0) / 0.90 = 0.633.
    let mut r = String::new();
    for i in 0..10 {
        r.push_str(&format!(
            "s{i},B,2012-02-01,服务对象,群众测评,问卷,{}\n",
            if i < 4 { "满意" } else { "不满意" }
        ));
        r.push_str(&format!(
            "d{i},B,2012-02-01,两代表一委员,群众测评,问卷,满意\n"
        ));
    }
    let raw = warehouse_of("", &r);
    assert_eq!(
        query(&raw, "select count(*) from watchlist"),
        vec![vec!["0"]]
    );
    // Post-stratified judging counts periods (a pooled year has no
    // post-stratified interval: the configuration refuses the pair).
    let ps = warehouse_of(
        "[breach]\nbasis = \"post_stratified\"\n[breach.window]\ncadre = \"period\"\n",
        &r,
    );
    let w = query(&ps, "select subject_id, period, rate from watchlist");
    assert_eq!(w[0][..2], ["B", "2012Q1"]);
    let rate: f64 = w[0][2].parse().unwrap();
    assert!((rate - 0.57 / 0.9).abs() < 1e-12, "{rate}");
}
