//! What leaders and the public see first is right: trend figures in the
//! right unit, headline counts split by evidence, the subjects needing more
//! ratings as a target list `pingyi sample` takes, typed workbook cells, a
//! postable notice board and a card index with each subject's status.
//! Figures are checked against the warehouse's tables or hand counts, not
//! against earlier output.

use std::collections::BTreeMap;

use calamine::{open_workbook, Data, Reader, Xlsx};

use crate::compute::{query, warehouse};
use crate::util::{county, draw, first_rater_place, split_csv, Dir};

fn read(d: &Dir, rel: &str) -> String {
    std::fs::read_to_string(d.join(rel)).unwrap()
}

/// The number in the headline tile linking to `href`.
fn tile(html: &str, href: &str) -> usize {
    let re = regex::Regex::new(&format!(
        r#"<a href="{href}"><div class="value">([\d,]+)</div>"#
    ))
    .unwrap();
    let c = re
        .captures(html)
        .unwrap_or_else(|| panic!("no tile for {href}"));
    c[1].replace(',', "").parse().unwrap()
}

/// (firm, thin) rows of a table's `evidence` column in 2012, for `firm`
/// the labels that count as firm (a breach is firm only when `certain`; a
/// watch entry when it rests on enough people).
fn by_evidence(d: &Dir, table: &str, firm: &[&str]) -> (usize, usize) {
    let rows = query(
        d,
        &format!("select evidence from {table} where \"window\" = '2012'"),
    );
    let n = rows
        .iter()
        .filter(|r| firm.contains(&r[0].as_str()))
        .count();
    let thin = rows.iter().filter(|r| r[0] == "thin").count();
    (n, thin)
}

#[test]
fn the_first_screen_counts_breaches_by_evidence_and_lists_who_needs_ratings() {
    let d = county();
    d.ok(&["report", "--audience", "leadership"]);
    let html = read(&d, "reports/leadership-zh/leadership.html");
    let (firm, thin) = by_evidence(&d, "breaches", &["certain"]);
    let (watch_firm, watch_thin) = by_evidence(&d, "watchlist", &["certain", "likely"]);
    assert!(
        thin > 100 && watch_thin > 100,
        "the sample has many thin cases"
    );
    assert_eq!(tile(&html, "#breaches"), firm);
    assert_eq!(tile(&html, "#needs-ratings"), thin + watch_thin);
    assert_eq!(tile(&html, "#watchlist"), watch_firm);
    // The summary comes first and names the firm cases.
    let summary = html.find("<ul class=\"summary\">").expect("a summary");
    assert!(summary < html.find("class=\"figures\"").unwrap());
    assert!(html.contains("证据充分"));
    // The target list: one row per subject needing people, each missing
    // the people between those who rated and the plan (at least 20).
    let csv = read(&d, "reports/leadership-zh/csv/needs-ratings.csv");
    let rows: Vec<Vec<String>> = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(split_csv)
        .collect();
    assert_eq!(rows.len(), thin + watch_thin);
    for r in &rows {
        let [raters, people, needed]: [u64; 3] = [10, 11, 12].map(|i| r[i].parse().unwrap());
        assert!(raters < 20 && people >= 20, "{r:?}");
        assert_eq!(raters + needed, people, "{r:?}");
    }
    // … which `pingyi sample --targets` takes as it is.
    let needs = d.join("reports/leadership-zh/csv/needs-ratings.csv");
    let r = draw(
        &d,
        needs.to_str().unwrap(),
        "followup",
        &["--seed", "7", "--per-village", "4"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("drew"), "{}", r.stdout);
    d.ok(&["sample", "--check", "followup"]);
}

#[test]
fn a_follow_up_draw_stays_in_the_targeted_villages() {
    let d = Dir::new();
    d.write("pingyi.toml", "[privacy]\nrater_key = \"test\"\n");
    // One village of the roster, and a whole township.
    let (township, village) = first_rater_place();
    d.write(
        "targets.csv",
        &format!("乡镇,村（社区）,编号\n{},{},X1\n", township, village),
    );
    let r = draw(
        &d,
        "targets.csv",
        "draw",
        &["--seed", "3", "--per-village", "10"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let list = std::fs::read_to_string(d.join("draw/抽查名单.csv")).unwrap();
    let rows: Vec<Vec<String>> = list
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(split_csv)
        .collect();
    assert_eq!(rows.len(), 10, "ten people from the one village");
    assert!(
        rows.iter().all(|r| r[1] == township && r[2] == village),
        "{rows:?}"
    );
    let audit = read(&d, "draw/audit.json");
    assert!(
        audit.contains("\"targets\""),
        "the audit records the targets"
    );
    d.ok(&["sample", "--check", "draw"]);
    // A target list naming nowhere on the roster is an error, not an empty draw.
    d.write("nowhere.csv", "乡镇\n不存在镇\n");
    let r = draw(
        &d,
        "nowhere.csv",
        "none",
        &["--seed", "3", "--per-village", "10"],
    );
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("nowhere.csv") || r.stderr.contains("targets"),
        "{}",
        r.stderr
    );
}

#[test]
fn trend_changes_print_in_percentage_points() {
    // H falls 0.9, 0.8, 0.8, 0.7, 0.6 over five quarters: the last change is
    // −10 points, Sen's slope about −7.1 points a period.
    let d = warehouse("");
    d.ok(&["report", "--audience", "leadership"]);
    let html = read(&d, "reports/leadership-zh/leadership.html");
    let row =
        regex::Regex::new(r#"<tr><td class="unit">辛局党支部</td><td>H</td>(.*?)</tr>"#).unwrap();
    let cells = &row.captures(&html).expect("H among the declining subjects")[1];
    assert!(cells.contains(">−10.0<"), "{cells}");
    assert!(cells.contains(">−7.1<"), "{cells}");
    assert!(!cells.contains("1000"), "{cells}");
}

#[test]
fn the_hr_workbook_keeps_numbers_and_dates_typed() {
    let d = county();
    d.ok(&["report", "--audience", "leadership"]);
    let mut book: Xlsx<_> = open_workbook(d.join("reports/leadership-zh/hr.xlsx")).unwrap();
    let sheet = |book: &mut Xlsx<_>, name: &str| book.worksheet_range(name).unwrap();
    let header = |r: &calamine::Range<Data>| -> Vec<String> {
        r.rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect()
    };
    let col = |h: &[String], name: &str| h.iter().position(|x| x == name).unwrap();
    let breaches = sheet(&mut book, "诫勉谈话名单");
    let h = header(&breaches);
    for row in breaches.rows().skip(1) {
        assert!(matches!(row[col(&h, "满意率")], Data::Float(_)), "{row:?}");
        assert!(
            matches!(row[col(&h, "有效评价")], Data::Float(_)),
            "{row:?}"
        );
        assert!(
            matches!(row[col(&h, "考核年度")], Data::Float(_)),
            "{row:?}"
        );
    }
    let overdue = sheet(&mut book, "逾期未整改事项");
    let h = header(&overdue);
    assert!(overdue.rows().count() > 1);
    for row in overdue.rows().skip(1) {
        assert!(
            matches!(row[col(&h, "完成时限")], Data::DateTime(_)),
            "{row:?}"
        );
        assert!(
            matches!(row[col(&h, "逾期天数")], Data::Float(_)),
            "{row:?}"
        );
    }
    let ranking = sheet(&mut book, "乡镇排名");
    let h = header(&ranking);
    // Rank and the rank it is tied to (并列 1–6: overlapping intervals),
    // then the ranked column, which says what it holds.
    assert_eq!(h[..3], ["名次", "名次（并列至）", "乡镇"], "{h:?}");
    assert!(ranking
        .rows()
        .skip(1)
        .all(|r| matches!(r[col(&h, "满意率（按评议方式标准化）")], Data::Float(_))));
    assert!(ranking
        .rows()
        .skip(1)
        .all(|r| matches!(r[col(&h, "满意率")], Data::Float(_))));
    // Thin-evidence rows in their own sheet, none of them on the breach list.
    let needs = sheet(&mut book, "需补充评议");
    let (firm, thin) = by_evidence(&d, "breaches", &["certain"]);
    let (_, watch_thin) = by_evidence(&d, "watchlist", &[]);
    assert_eq!(needs.rows().count() - 1, thin + watch_thin);
    let h = h_of(&breaches);
    let subjects: std::collections::BTreeSet<String> = breaches
        .rows()
        .skip(1)
        .filter(|r| r[col(&h, "考核年度")] == Data::Float(2012.0))
        .map(|r| r[col(&h, "编号")].to_string())
        .collect();
    assert_eq!(
        subjects.len(),
        firm,
        "the breach sheet holds the breaches on sufficient evidence"
    );
}

fn h_of(r: &calamine::Range<Data>) -> Vec<String> {
    r.rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect()
}

#[test]
fn the_notice_board_fits_about_a_page_per_township() {
    let d = county();
    d.ok(&["report", "--audience", "public", "--pdf"]);
    let out = std::process::Command::new("pdfinfo")
        .arg(d.join("reports/public-zh/public.pdf"))
        .output()
        .expect("pdfinfo (poppler-utils)");
    let info = String::from_utf8_lossy(&out.stdout);
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    // Eight townships, the county page and the ledger: 159 pages before.
    assert!(pages <= 20, "{pages} pages");
}

#[test]
fn the_card_index_gives_each_subject_its_status() {
    let d = county();
    d.ok(&["report", "--audience", "units"]);
    let html = read(&d, "reports/units-zh/index.html");
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for c in regex::Regex::new(r#"<tr data-status="([a-z_]+)">"#)
        .unwrap()
        .captures_iter(&html)
    {
        *statuses.entry(c[1].to_string()).or_default() += 1;
    }
    // Only a breach on sufficient evidence is a breach; one possibly below
    // or on too few people, and a watch entry on too few, need people.
    let (firm, _) = by_evidence(&d, "breaches", &["certain"]);
    let all = query(
        &d,
        "select count(*) from breaches where \"window\" = '2012'",
    )[0][0]
        .parse::<usize>()
        .unwrap();
    let (watch_firm, watch_thin) = by_evidence(&d, "watchlist", &["certain", "likely"]);
    assert_eq!(statuses.get("breach").copied().unwrap_or(0), firm);
    assert_eq!(statuses["needs_ratings"], all - firm + watch_thin);
    assert_eq!(statuses.get("watch").copied().unwrap_or(0), watch_firm);
    assert_eq!(statuses.values().sum::<usize>(), 4116);
    assert!(html.contains("<input type=\"search\""), "a search box");
    // No grade on a card resting on fewer than 20 people.
    let ungraded = regex::Regex::new(
        r#"<div class="value">([^<]*)</div><div class="label">等次<br>不评定等次（评议人数不足）"#,
    )
    .unwrap();
    let cards = d.join("reports/units-zh/cards");
    let any = std::fs::read_dir(&cards)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .filter_map(|t| ungraded.captures(&t).map(|c| c[1].to_string()))
        .inspect(|g| assert_eq!(g, "—"))
        .count();
    assert!(any > 0, "the sample has cadres rated a few times");
}
