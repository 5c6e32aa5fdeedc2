//! County bodies apart (issue 36, item 4): the sample roster places the
//! county's own organs (parent 县直机关工委) and their cadres in 中枢镇; by
//! the default rule `[groups]` they form the group 县直单位, and 中枢镇's
//! figures are its own units'. The hand count reads the roster file and the
//! ratings, never pingyi's `subject_groups`.

use std::collections::{BTreeMap, BTreeSet};

use crate::compute::query;
use crate::util::{county, repo, split_csv};

/// The sample roster's county bodies and 中枢镇's own units, by hand: an
/// organization whose parent (所属组织) is 县直机关工委, and the cadres
/// whose parent is such an organization's name.
fn roster_split() -> (BTreeSet<String>, BTreeSet<String>) {
    let text = std::fs::read_to_string(repo().join("sample-data/inbox/评议对象名册.csv")).unwrap();
    let rows: Vec<Vec<String>> = text
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(split_csv)
        .collect();
    // id, name, kind, org type, pioneer, township, village, parent, position
    let organs: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r[2] == "组织" && r[7] == "县直机关工委")
        .map(|r| r[1].as_str())
        .collect();
    let (mut bodies, mut own) = (BTreeSet::new(), BTreeSet::new());
    for r in &rows {
        if r[7] == "县直机关工委" || organs.contains(r[7].as_str()) {
            bodies.insert(r[0].clone());
        } else if r[5] == "中枢镇" {
            own.insert(r[0].clone());
        }
    }
    (bodies, own)
}

/// Valid ratings per subject in 2012, from the ratings table.
fn valid_2012(d: &crate::util::Dir) -> BTreeMap<String, u64> {
    query(
        d,
        "select subject_id, count(*) as n from ratings \
         where valid and substr(period, 1, 4) = '2012' group by subject_id",
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].parse().unwrap()))
    .collect()
}

#[test]
fn county_bodies_are_their_own_group_and_a_township_counts_its_own_units() {
    let d = county();
    let (bodies, own) = roster_split();
    assert!(
        bodies.len() > 32,
        "organs and their cadres: {}",
        bodies.len()
    );
    let valid = valid_2012(&d);
    let count = |ids: &BTreeSet<String>| ids.iter().filter_map(|id| valid.get(id)).sum::<u64>();
    let stored = |group: &str| -> u64 {
        query(
            &d,
            &format!(
                "select valid from group_period where level = 'township' and span = 'year' \
                 and period = '2012' and \"group\" = '{group}'"
            ),
        )[0][0]
            .parse()
            .unwrap()
    };
    let (zhongshu, organs) = (stored("中枢镇"), stored("县直单位"));
    assert_eq!(zhongshu, count(&own), "中枢镇: its own units only");
    assert_eq!(
        organs,
        count(&bodies),
        "县直单位: the county organs' ratings"
    );
    // The sample's figures (issue 36: 8,543 valid ratings in 中枢镇 before;
    // the organs' 4,453 hold the 60 votes of the device burst the generator
    // plants at 县纪委党支部, issue 38).
    assert_eq!((zhongshu, organs), (4150, 4453));
    // Every other level still adds up to the county.
    let total: u64 = query(
        &d,
        "select sum(valid) from group_period where level = 'township' and span = 'year' and period = '2012'",
    )[0][0]
        .parse()
        .unwrap();
    assert_eq!(total, valid.values().sum::<u64>());
    // subject_groups names exactly the hand-counted bodies.
    let flagged: BTreeSet<String> = query(
        &d,
        "select subject_id from subject_groups where county_body",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    let known: BTreeSet<String> = query(&d, "select subject_id from subjects")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let want: BTreeSet<String> = bodies.intersection(&known).cloned().collect();
    assert_eq!(flagged, want);
    // The changes table counts the same groups.
    let changed = query(
        &d,
        "select count(*) from changes where level = 'township' and \"group\" = '县直单位'",
    );
    assert_ne!(changed[0][0], "0");
}

#[test]
fn the_township_ranking_shows_the_county_bodies_apart_unranked() {
    let d = county();
    d.ok(&["report", "--audience", "leadership"]);
    let html = std::fs::read_to_string(d.join("reports/leadership-zh/leadership.html")).unwrap();
    let ranking = &html[html.find("id=\"ranking\"").unwrap()..];
    let table = &ranking[..ranking.find("</table>").unwrap()];
    let rows: Vec<&str> = table.split("<tr").skip(2).collect();
    assert_eq!(rows.len(), 9, "8 townships and the county bodies' row");
    // The county bodies' row is last, without a place.
    assert!(
        rows[8].contains("class=\"apart\"") && rows[8].contains("县直单位（不参与乡镇排名）"),
        "{}",
        rows[8]
    );
    assert!(rows[..8].iter().all(|r| !r.contains("县直单位")));
    // Without the organs 中枢镇 is not the lowest: 永宁乡 is.
    assert!(rows[7].contains("永宁乡"), "{}", rows[7]);
    let summary = &html[html.find("<ul class=\"summary\">").unwrap()..];
    let summary = &summary[..summary.find("</ul>").unwrap()];
    let lowest = summary.find("满意率最低的乡镇：").unwrap();
    let listed = &summary[lowest..];
    assert!(listed.contains("：永宁乡"), "{listed}");
    assert!(!listed[..listed.find('。').unwrap()].contains("县直单位"));
    // The spreadsheet's ranking carries the row apart too, without a place.
    let csv =
        std::fs::read_to_string(d.join("reports/leadership-zh/csv/ranking_township.csv")).unwrap();
    assert!(
        csv.lines()
            .last()
            .unwrap()
            .starts_with(",,县直单位（不参与乡镇排名）,4453,"),
        "{csv}"
    );
}

/// The method effect (issue 36, item 5): one cell of `method_rates` — 2012,
/// organizations of 中枢镇 (its own units), the random draw — recounted by
/// hand from the ratings and the roster file, its interval in people from
/// the forms' sums.
#[test]
fn one_method_effect_cell_matches_a_hand_count() {
    let d = county();
    let (_, own) = roster_split();
    let ids: Vec<String> = own.iter().map(|id| format!("'{id}'")).collect();
    // Per form: valid ratings m and satisfied y of 中枢镇's organizations.
    let forms = query(
        &d,
        &format!(
            "select r.response_id, count(*) as m, sum(case when r.satisfied then 1 else 0 end) as y \
             from ratings as r join subjects as s on s.subject_id = r.subject_id \
             where r.valid and s.kind = '组织' and r.method = '随机抽查' \
             and substr(r.period, 1, 4) = '2012' and r.subject_id in ({}) \
             group by r.response_id",
            ids.join(", ")
        ),
    );
    let my: Vec<(f64, f64)> = forms
        .iter()
        .map(|f| (f[1].parse().unwrap(), f[2].parse().unwrap()))
        .collect();
    let (k, m, y) = (
        my.len() as f64,
        my.iter().map(|v| v.0).sum::<f64>(),
        my.iter().map(|v| v.1).sum::<f64>(),
    );
    let p = y / m;
    let ss: f64 = my.iter().map(|(mi, yi)| (yi - p * mi).powi(2)).sum();
    let var = k / (k - 1.0) * ss / (m * m);
    let n_eff = (p * (1.0 - p) / var).clamp(k, m);
    let (lo, hi) = pingyi::stats::wilson(p * n_eff, n_eff, pingyi::stats::Z95).unwrap();
    let cell = query(
        &d,
        "select valid, raters, satisfied, rate, n_eff, ci_low, ci_high, benchmark from method_rates \
         where \"window\" = '2012' and kind = '组织' and township = '中枢镇' and method = '随机抽查'",
    );
    let c: Vec<f64> = cell[0][..7].iter().map(|v| v.parse().unwrap()).collect();
    assert_eq!((c[0], c[1], c[2]), (m, k, y), "valid, raters, satisfied");
    assert!(
        (c[3] - p).abs() < 1e-12 && (c[4] - n_eff).abs() < 1e-9,
        "{c:?}"
    );
    assert!(
        (c[5] - lo).abs() < 1e-9 && (c[6] - hi).abs() < 1e-9,
        "{c:?}"
    );
    assert_eq!(cell[0][7], "true", "the draw is the benchmark");
    // The sample's figures: 843 ratings from 295 people at 94.2%.
    assert_eq!((m, k, y), (843.0, 295.0, 794.0));
}
