//! Like-for-like comparisons (issue 36): every change split by collection
//! method (`changes`, Kitagawa) checked against hand counts — on a small
//! warehouse worked out on paper, and on the sample's county 2012Q3 →
//! 2012Q4 recounted here from the raw ratings — and trend flags controlled
//! for many tests (`trends.mk_q`, Benjamini-Hochberg) checked against
//! statsmodels' `multipletests` (`tests/reference/bh_fdr.csv`, written by
//! `tests/reference/bh_fdr.py`); then what the pages say with them.

use std::collections::BTreeMap;

use crate::compute::query;
use crate::util::{county, inbox_with, repo, Dir, PLAIN_HEAD};

const ROSTER: &str = "被评议对象编号,名称,类型,组织类型,乡镇\nA,甲局党支部,组织,机关,中枢镇\nB,乙局党支部,组织,机关,金马镇\n";

/// `satisfied` of `n` ratings of a subject by one method on a date.
fn rows(out: &mut String, subject: &str, date: &str, method: &str, satisfied: u32, n: u32) {
    for i in 0..n {
        let label = if i < satisfied { "满意" } else { "不满意" };
        out.push_str(&format!(
            "{subject}-{date}-{method}-{i},{subject},{date},服务对象,{method},问卷,{label}\n"
        ));
    }
}

/// A: 2012Q1 群众测评 8/10; 2012Q2 群众测评 9/10 and a random draw 10/10.
/// B: 2011Q4 民情恳谈 6/10; 2012Q1 随机抽查 9/10 (no method in common).
fn warehouse() -> Dir {
    let d = inbox_with(
        "[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\n[report]\nas_of = \"2012-12-31\"\n",
        ROSTER,
    );
    let mut r = String::from(PLAIN_HEAD);
    rows(&mut r, "A", "2012-02-01", "群众测评", 8, 10);
    rows(&mut r, "A", "2012-05-01", "群众测评", 9, 10);
    rows(&mut r, "A", "2012-05-02", "随机抽查", 10, 10);
    rows(&mut r, "B", "2011-11-01", "民情恳谈", 6, 10);
    rows(&mut r, "B", "2012-02-01", "随机抽查", 9, 10);
    std::fs::write(d.join("in/ratings.csv"), r).unwrap();
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    d
}

/// (delta, within_method, method_mix) of one change.
fn split(d: &Dir, level: &str, group: &str, kind: &str, to: &str) -> (f64, f64, f64) {
    let r = query(
        d,
        &format!(
            "select delta, within_method, method_mix from changes where level = '{level}' \
             and \"group\" = '{group}' and kind = '{kind}' and \"to\" = '{to}'"
        ),
    );
    assert_eq!(r.len(), 1, "{level} {group} {kind} {to}: {r:?}");
    let v: Vec<f64> = r[0].iter().map(|x| x.parse().unwrap()).collect();
    (v[0], v[1], v[2])
}

fn close(got: (f64, f64, f64), want: (f64, f64, f64)) {
    let ok = [(got.0, want.0), (got.1, want.1), (got.2, want.2)]
        .iter()
        .all(|(g, w)| (g - w).abs() < 1e-9);
    assert!(ok, "got {got:?}, want {want:?}");
}

#[test]
fn changes_split_by_method_as_worked_out_by_hand() {
    let d = warehouse();
    // A, 2012Q1 → Q2: 0.8 → 19/20 = 0.95, +15 pp. 群众测评 is in both:
    // weights 10/10 and 10/20, (1 + 0.5)/2 · (0.9 − 0.8) = 7.5 pp within;
    // the draw, in Q2 only, is all mix: 15 − 7.5.
    close(
        split(&d, "subject", "A", "period", "2012Q2"),
        (15.0, 7.5, 7.5),
    );
    // B, 2011Q4 → 2012Q1: no method in common, so the whole +30 pp is mix.
    close(
        split(&d, "subject", "B", "period", "2012Q1"),
        (30.0, 0.0, 30.0),
    );
    // B's year on year, 2011 → 2012: the same ratings, the same split.
    close(split(&d, "subject", "B", "year", "2012"), (30.0, 0.0, 30.0));
    // The county in 2012Q1: A's 8/10 (群众测评) and B's 9/10 (随机抽查);
    // against 2011Q4 (B's 6/10 by 民情恳谈): +25 pp, nothing in common.
    close(
        split(&d, "county", "全县", "period", "2012Q1"),
        (25.0, 0.0, 25.0),
    );
    // Q1 → Q2 of the county: 17/20 → 19/20, +10 pp. 群众测评 0.8 → 0.9 at
    // weights 0.5 and 0.5: 5 pp within; 随机抽查 0.9 → 1.0 at 0.5 and 0.5:
    // 5 pp within. All of it within methods, none of it mix.
    close(
        split(&d, "county", "全县", "period", "2012Q2"),
        (10.0, 10.0, 0.0),
    );
    // The township of A has no 2011: no year row; the row names its periods.
    assert!(query(
        &d,
        "select * from changes where \"group\" = '中枢镇' and kind = 'year'"
    )
    .is_empty());
    assert_eq!(
        query(&d, "select \"from\", rate_from, rate_to from changes where level = 'org_type' and kind = 'year'"),
        vec![vec!["2011", "0.6", "0.9"]]
    );
}

/// valid and satisfied per method of the sample's county in `period`,
/// counted from the raw ratings.
fn by_method(d: &Dir, period: &str) -> BTreeMap<String, (f64, f64)> {
    query(
        d,
        &format!(
            "select method, sum(case when valid then 1 else 0 end) as valid, \
             sum(case when satisfied then 1 else 0 end) as satisfied from ratings \
             where period = '{period}' group by method"
        ),
    )
    .into_iter()
    .map(|r| (r[0].clone(), (r[1].parse().unwrap(), r[2].parse().unwrap())))
    .collect()
}

/// Kitagawa's split of `a` → `b`, in percentage points, from the counts.
fn kitagawa(a: &BTreeMap<String, (f64, f64)>, b: &BTreeMap<String, (f64, f64)>) -> (f64, f64, f64) {
    let total = |m: &BTreeMap<String, (f64, f64)>| m.values().map(|v| v.0).sum::<f64>();
    let rate = |m: &BTreeMap<String, (f64, f64)>| m.values().map(|v| v.1).sum::<f64>() / total(m);
    let (ta, tb) = (total(a), total(b));
    let mut within = 0.0;
    for (method, (va, sa)) in a {
        if let Some((vb, sb)) = b.get(method).filter(|x| x.0 > 0.0 && *va > 0.0) {
            within += (va / ta + vb / tb) / 2.0 * (sb / vb - sa / va);
        }
    }
    let delta = (rate(b) - rate(a)) * 100.0;
    (delta, within * 100.0, delta - within * 100.0)
}

#[test]
fn the_sample_county_2012q4_split_matches_a_recount_of_the_ratings() {
    let d = county();
    let (q3, q4) = (by_method(&d, "2012Q3"), by_method(&d, "2012Q4"));
    // The random draw ran in 2012Q3 only: it is all mix in Q4.
    assert!(
        q3.contains_key("随机抽查") && !q4.contains_key("随机抽查"),
        "{q3:?} {q4:?}"
    );
    let want = kitagawa(&q3, &q4);
    close(split(&d, "county", "全县", "period", "2012Q4"), want);
    // What the issue counted was −2.6 in all, +0.1 within methods, −2.7
    // mix; the integrity plants of issue 38 (2012Q4: 50 self-collected
    // forms, a 60-vote burst, 12 stuffed forms, 40 straight-lined forms,
    // all but one 满意; 230 follow-up draw forms in 2012Q3) lift Q4 and
    // lower Q3's draw, and the recount above now gives these.
    let shown = |x: f64| format!("{x:+.1}");
    assert_eq!(
        (shown(want.0), shown(want.1), shown(want.2)),
        ("-2.1".into(), "+0.3".into(), "-2.4".into())
    );
    // Year on year the same recount, over the years' quarters.
    let year = |y: &str| {
        let mut m: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for q in 1..=4 {
            for (k, v) in by_method(&d, &format!("{y}Q{q}")) {
                let e = m.entry(k).or_default();
                (e.0, e.1) = (e.0 + v.0, e.1 + v.1);
            }
        }
        m
    };
    close(
        split(&d, "county", "全县", "year", "2012"),
        kitagawa(&year("2011"), &year("2012")),
    );
}

/// statsmodels' q-values (`tests/reference/bh_fdr.csv`) by family: (p, q) in file order.
fn reference() -> BTreeMap<String, Vec<(f64, f64)>> {
    let text = std::fs::read_to_string(repo().join("tests/reference/bh_fdr.csv")).unwrap();
    let mut out: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        out.entry(f[0].to_string())
            .or_default()
            .push((f[1].parse().unwrap(), f[2].parse().unwrap()));
    }
    out
}

#[test]
fn benjamini_hochberg_matches_statsmodels_multipletests() {
    let families = reference();
    assert_eq!(families.len(), 5, "{:?}", families.keys());
    for (family, rows) in families {
        let p: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let q = pingyi::stats::benjamini_hochberg(&p);
        for ((_, want), got) in rows.iter().zip(q) {
            assert!(
                (got - want).abs() < 1e-12,
                "{family}: {got} vs statsmodels {want}"
            );
        }
    }
}

#[test]
fn trend_flags_need_q_below_5_percent_within_each_level() {
    let d = county();
    let rows = query(
        &d,
        "select level, mk_p, mk_q, sen_slope, declining from trends where mk_p is not null",
    );
    let mut levels: BTreeMap<&str, Vec<(f64, f64, f64, bool)>> = BTreeMap::new();
    for r in &rows {
        let num = |i: usize| r[i].parse::<f64>().unwrap();
        levels
            .entry(r[0].as_str())
            .or_default()
            .push((num(1), num(2), num(3), r[4] == "true"));
    }
    let mut chance_only = 0;
    for (level, tests) in &levels {
        let m = tests.len() as f64;
        for &(p, q, slope, declining) in tests {
            // The definition itself: the smallest m·p_j/rank_j over the
            // p-values at least as large, the rank counting ties up.
            let want = tests
                .iter()
                .filter(|t| t.0 >= p)
                .map(|t| {
                    let rank = tests.iter().filter(|u| u.0 <= t.0).count() as f64;
                    (m * t.0 / rank).min(1.0)
                })
                .fold(f64::INFINITY, f64::min);
            assert!(
                (q - want).abs() < 1e-12,
                "{level}: p {p}, q {q}, want {want}"
            );
            assert_eq!(declining, q < 0.05 && slope < 0.0, "{level}: p {p}, q {q}");
            chance_only += usize::from(p < 0.05 && slope < 0.0 && !declining);
        }
    }
    assert!(levels["subject"].len() > 300, "subjects are one family");
    // The flags p alone would raise and the correction withdraws: 13 of
    // the sample's 14 (6 subjects, 4 villages, a township, an org type, an
    // item; the method 随机抽查 keeps its flag).
    assert_eq!(chance_only, 13);
}

/// The text of an HTML page without its tags.
fn text(html: &str) -> String {
    regex::Regex::new(r"<[^>]*>")
        .unwrap()
        .replace_all(html, "")
        .into_owned()
}

#[test]
fn pages_state_each_change_with_its_split_and_speak_plainly_about_trends() {
    let d = county();
    d.ok(&["report", "--audience", "all"]);
    let html = std::fs::read_to_string(d.join("reports/leadership-zh/leadership.html")).unwrap();
    let summary = &html[html.find("<ul class=\"summary\">").unwrap()..];
    let summary = text(&summary[..summary.find("</ul>").unwrap()]);
    // The summary leads with the like-for-like change on the year before,
    // then states the last quarter's change with its split.
    let first = summary.trim_start().lines().next().unwrap();
    assert!(first.contains("按同一评议方式比较（同口径）"), "{first}");
    assert!(
        summary.contains("较上期 −2.1 个百分点（同口径 +0.3，评议方式构成 −2.4）"),
        "{summary}"
    );
    // The ranking's changes carry their split.
    let ranking = &html[html.find("id=\"ranking\"").unwrap()..];
    assert!(ranking[..ranking.find("</table>").unwrap()].contains("同口径"));
    // The method names of the tests stay in the methodology.
    let methodology = html.find("id=\"methodology\"").unwrap();
    for word in ["Mann-Kendall", "Sen 斜率", "p 值"] {
        let at = html.find(word).unwrap_or(usize::MAX);
        assert!(at > methodology, "{word} before the methodology");
    }
    // ZZ0131: 80.0% in 2011Q1, 92.3% in 2012Q2, 57.1% in 2012Q4, no trend
    // by the test. The card states the course from first to last with both
    // intervals, names the peak, and calls it chance only as the intervals
    // (from subject_period) allow.
    let card =
        text(&std::fs::read_to_string(d.join("reports/units-zh/cards/ZZ0131.html")).unwrap());
    let periods = query(
        &d,
        "select period, rate, ci_low, ci_high from subject_period where subject_id = 'ZZ0131' order by period",
    );
    let (first, last) = (&periods[0], periods.last().unwrap());
    let pct = |x: &str| format!("{:.1}%", x.parse::<f64>().unwrap() * 100.0);
    let course = format!(
        "从 {} 的 {}（区间 {}–{}）降至 {} 的 {}（区间 {}–{}），下降",
        first[0],
        pct(&first[1]),
        pct(&first[2]),
        pct(&first[3]),
        last[0],
        pct(&last[1]),
        pct(&last[2]),
        pct(&last[3])
    );
    assert!(card.contains(&course), "{course}\n{card}");
    assert!(card.contains("其间最高为 2012Q2 的 92.3%"), "{card}");
    let overlap = first[2].parse::<f64>().unwrap() <= last[3].parse::<f64>().unwrap();
    assert!(overlap, "the sample's ZZ0131 intervals overlap");
    assert!(card.contains("变化在随机波动范围内"), "{card}");
    assert!(!card.contains("没有明显的上升或下降趋势"), "{card}");
    // Its last quarter's change with the split by method.
    assert!(
        card.contains("最近一期较上期 −4.0 个百分点（同口径"),
        "{card}"
    );
    // A card whose intervals do not overlap never says chance; where it
    // gives the course in words (no period hidden for resting on fewer
    // than five people) it says the change is beyond chance.
    let apart = query(
        &d,
        "with ends as (select subject_id, min(period) as f, max(period) as l from subject_period \
         where rate is not null group by subject_id) \
         select e.subject_id from ends as e \
         join subject_period as a on a.subject_id = e.subject_id and a.period = e.f \
         join subject_period as b on b.subject_id = e.subject_id and b.period = e.l \
         where a.ci_low > b.ci_high order by e.subject_id limit 5",
    );
    assert!(
        !apart.is_empty(),
        "the sample has cards whose intervals do not overlap"
    );
    for row in &apart {
        let id = &row[0];
        let card = text(
            &std::fs::read_to_string(d.join(&format!("reports/units-zh/cards/{id}.html"))).unwrap(),
        );
        assert!(!card.contains("随机波动范围内"), "{id}: {card}");
        if card.contains("个百分点。") {
            assert!(card.contains("超出随机波动范围"), "{id}: {card}");
        }
    }
}

#[test]
fn the_method_effect_sets_each_method_beside_the_random_draw() {
    let d = county();
    let queries = repo().join("queries").display().to_string();
    let out = d
        .ok(&[
            "query",
            "--queries",
            &queries,
            "--name",
            "method_effect",
            "--example",
            "--format",
            "csv",
        ])
        .stdout;
    let mut lines = out.lines();
    let header = crate::util::split_csv(lines.next().unwrap());
    let rows: Vec<BTreeMap<String, String>> = lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(crate::util::split_csv(l))
                .collect()
        })
        .collect();
    let num = |r: &BTreeMap<String, String>, c: &str| r[c].parse::<f64>().unwrap();
    let key = |r: &BTreeMap<String, String>| (r["kind"].clone(), r["township"].clone());
    let draws: BTreeMap<_, f64> = rows
        .iter()
        .filter(|r| r["method"] == "随机抽查")
        .map(|r| (key(r), num(r, "rate")))
        .collect();
    assert!(!draws.is_empty());
    let mut county: BTreeMap<String, f64> = BTreeMap::new();
    let mut townships: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in &rows {
        let (valid, satisfied) = (num(r, "valid"), num(r, "satisfied"));
        assert!((num(r, "rate") - satisfied / valid).abs() < 1e-12);
        // The interval is counted in people: Wilson's on the effective n.
        let n = num(r, "n_eff");
        let (lo, hi) = pingyi::stats::wilson(num(r, "rate") * n, n, pingyi::stats::Z95).unwrap();
        assert!((num(r, "ci_low") - lo).abs() < 1e-9 && (num(r, "ci_high") - hi).abs() < 1e-9);
        match draws.get(&key(r)) {
            Some(b) => {
                assert!((num(r, "benchmark_rate") - b).abs() < 1e-12);
                assert!((num(r, "vs_benchmark") - (num(r, "rate") - b) * 100.0).abs() < 1e-9);
            }
            None => assert!(r["benchmark_rate"].is_empty() && r["vs_benchmark"].is_empty()),
        }
        let k = (r["kind"].clone(), r["method"].clone());
        if r["township"] == "全县" {
            *county.entry(r["method"].clone()).or_default() += valid;
            *townships.entry(k).or_default() -= valid;
        } else {
            *townships.entry(k).or_default() += valid;
        }
    }
    // The townships add up to the county, and the county to group_period's methods.
    assert!(townships.values().all(|v| *v == 0.0), "{townships:?}");
    let by_method = query(
        &d,
        "select \"group\", valid from group_period where level = 'method' and span = 'year' and period = '2012'",
    );
    for r in by_method {
        assert_eq!(county[&r[0]], r[1].parse::<f64>().unwrap(), "{}", r[0]);
    }
    // The leadership page's table, the draw first as the benchmark.
    d.ok(&["report", "--audience", "leadership"]);
    let html = std::fs::read_to_string(d.join("reports/leadership-zh/leadership.html")).unwrap();
    let at = html.find("id=\"methods\"").expect("the method table");
    let table = text(&html[at..at + html[at..].find("</table>").unwrap()]);
    assert!(table.contains("随机抽查（基准）"), "{table}");
    assert!(table.contains("较随机抽查（个百分点）"), "{table}");
    // By subject kind and township, the draw named as the benchmark.
    let at = html
        .find("id=\"method-kinds\"")
        .expect("the by-kind tables");
    let kinds = text(&html[at..at + html[at..].find("</section>").unwrap()]);
    assert!(kinds.contains("党组织 · 基准：随机抽查"), "{kinds}");
    assert!(kinds.contains("随机抽查（基准）"), "{kinds}");
    // Cadres have a benchmark only where the follow-up draw the generator
    // plants (issue 38) reached them: 向阳乡; elsewhere no draw, no gap.
    assert!(kinds.contains("干部 · 基准：随机抽查"), "{kinds}");
    let cadres = &kinds[kinds.find("干部 · ").unwrap()..];
    let row = |town: &str| {
        let at = cadres.find(town).unwrap();
        cadres[at..at + cadres[at..].find('\n').unwrap_or(cadres.len() - at)].to_string()
    };
    assert!(row("向阳乡").contains("较基准"), "{cadres}");
    assert!(row("旧城镇").starts_with("旧城镇—"), "{cadres}");
    assert!(!row("旧城镇").contains("较基准"), "{cadres}");
}
