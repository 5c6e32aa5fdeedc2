//! `pingyi report`: every audience in both languages from the sample data,
//! disclosure control and redaction in everything the public sees, escaping
//! of hostile names, byte-identical re-renders, template overrides, PDF
//! through Chromium, and reports published whole.

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::{self, county, inbox_with, repo, split_csv, Dir, Run};

fn read(d: &Dir, rel: &str) -> String {
    std::fs::read_to_string(d.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    util::tree(dir).into_iter().collect()
}

#[test]
fn every_audience_renders_in_both_languages() {
    let d = county();
    let zh = d.ok(&["report"]);
    assert!(zh.stdout.contains("4116 unit cards"), "{}", zh.stdout);
    let en = d.ok(&["report", "--lang", "en", "--audience", "all"]);
    assert!(en.stdout.contains("published"), "{}", en.stdout);
    let lead = read(&d, "reports/leadership-zh/leadership.html");
    for heading in [
        "群众评议结果报告（领导阅览版）",
        "诫勉谈话名单",
        "预警名单",
        "乡镇排名",
        "评议主体构成",
        "整改落实",
        "说明",
        "<svg",
    ] {
        assert!(lead.contains(heading), "leadership-zh lacks {heading}");
    }
    // The methodology names every input with its hash.
    assert!(lead.contains("民情恳谈及网上评议_2011-2012.csv"));
    assert_eq!(
        regex_count(&lead, r"[0-9a-f]{64}"),
        8,
        "one hash per ingested file"
    );
    let lead_en = read(&d, "reports/leadership-en/leadership.html");
    for heading in [
        "Admonishment-talk list",
        "Watchlist",
        "Rater composition",
        "Methodology",
    ] {
        assert!(lead_en.contains(heading), "leadership-en lacks {heading}");
    }
    assert!(read(&d, "reports/public-zh/public.html").contains("群众评议结果公示"));
    assert!(read(&d, "reports/public-en/public.html").contains("public notice"));
    let cards = std::fs::read_dir(d.join("reports/units-zh/cards"))
        .unwrap()
        .count();
    assert_eq!(cards, 4116);
    assert!(read(&d, "reports/units-zh/cards/ZZ0001.html").contains("群众评议反馈卡"));
    assert!(read(&d, "reports/units-en/cards/ZZ0001.html").contains("feedback card"));
    assert!(read(&d, "reports/index.html").contains("units-en/index.html"));
    // The HR workbook and CSVs with BOM.
    let xlsx = std::fs::read(d.join("reports/leadership-zh/hr.xlsx")).unwrap();
    assert!(xlsx.starts_with(b"PK"));
    let breaches = std::fs::read(d.join("reports/leadership-zh/csv/breaches.csv")).unwrap();
    assert!(breaches.starts_with("\u{feff}".as_bytes()));
    // The breach sheet holds only breaches on sufficient evidence (`certain`):
    // on the sample's people, none (the rows encoded 2012's likely ones before).
    let certain = d
        .ok(&[
            "query",
            "--format",
            "csv",
            "select count(*) as n from breaches where evidence = 'certain'",
        ])
        .stdout;
    let certain: usize = certain.lines().nth(1).unwrap().trim().parse().unwrap();
    let text = String::from_utf8_lossy(&breaches);
    let periods = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert!(
        periods >= certain && (certain > 0 || periods == 0),
        "{text}"
    );
}

fn regex_count(text: &str, pattern: &str) -> usize {
    regex::Regex::new(pattern).unwrap().find_iter(text).count()
}

/// Per subject graded in the year the public board shows (2011: 2012 is
/// not closed on the sample's as-of date): (township, raters, rate),
/// straight from the warehouse.
fn graded(d: &Dir) -> BTreeMap<String, (String, u64, Option<f64>)> {
    let r = d.ok(&[
        "query",
        "--format",
        "csv",
        "select g.subject_id, s.township, g.raters, g.rate from grades g join subject_groups s on g.subject_id = s.subject_id where g.\"window\" = '2011'",
    ]);
    r.stdout
        .lines()
        .skip(1)
        .map(split_csv)
        .map(|f| {
            (
                f[0].clone(),
                (f[1].clone(), f[2].parse().unwrap(), f[3].parse().ok()),
            )
        })
        .collect()
}

#[test]
fn nothing_public_rests_on_fewer_raters_than_the_minimum_cell_or_can_be_derived() {
    let d = county();
    d.ok(&["report", "--audience", "public"]);
    let (min, extreme) = (5, 10); // report.min_cell and min_cell_extreme, the defaults
    let graded = graded(&d);
    let csv = read(&d, "reports/public-zh/public.csv");
    let mut published = BTreeMap::new();
    for line in csv.trim_start_matches('\u{feff}').lines().skip(1) {
        let f = split_csv(line);
        let (id, rate) = (&f[1], &f[7]);
        if id.is_empty() {
            continue; // a township or county total
        }
        let (_, n, _) = graded[id.as_str()];
        assert!(
            !rate.is_empty(),
            "{id}: the board lists published results only"
        );
        assert!(n >= min, "{id} published on {n} raters");
        assert!(!f[6].starts_with('<'));
        // A unanimous rate on few raters tells what each of them answered.
        let r: f64 = rate.trim_end_matches('%').parse::<f64>().unwrap() / 100.0;
        assert!(
            n >= extreme || (r > 0.0 && r < 1.0),
            "{id}: {r} on {n} raters"
        );
        published.insert(id.clone(), n);
    }
    assert!(
        published.len() > 100,
        "the sample's organizations are published"
    );
    // Subtracting the published cells from a township total reveals only the
    // withheld cells together: at least two of them, on at least min raters.
    let mut hidden_by_township: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (id, (township, n, _)) in &graded {
        if !published.contains_key(id) {
            hidden_by_township.entry(township).or_default().push(*n);
        }
    }
    for (township, hidden) in &hidden_by_township {
        assert!(hidden.len() >= 2, "{township}: a lone suppressed cell");
        assert!(hidden.iter().sum::<u64>() >= min, "{township}");
    }
    // The notice board counts what it withholds instead of listing dashes.
    let html = read(&d, "reports/public-zh/public.html");
    assert!(!html.contains("&lt;5"), "no rows of withheld results");
    let withheld: usize = regex::Regex::new(r"本乡镇另有 (\d+) 个对象的结果")
        .unwrap()
        .captures_iter(&html)
        .map(|c| c[1].parse::<usize>().unwrap())
        .sum();
    assert_eq!(withheld, graded.len() - published.len());
}

#[test]
fn no_report_shows_the_planted_phone_and_id_numbers_or_rater_keys() {
    let d = county();
    d.ok(&["report"]);
    d.ok(&["report", "--lang", "en"]);
    let keys = d.ok(&[
        "query",
        "--format",
        "csv",
        "select rater_key from ratings where rater_key is not null limit 50",
    ]);
    let keys: Vec<&str> = keys.stdout.lines().skip(1).collect();
    for (path, bytes) in tree(&d.join("reports")) {
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["13800001234", "532527198303150014", "138-0000-1234"] {
            assert!(!text.contains(secret), "{path} shows {secret}");
        }
        for k in &keys {
            assert!(!text.contains(k), "{path} shows a rater key");
        }
    }
}

/// A county whose names, comments and ledger text try to break out of HTML.
fn hostile() -> Dir {
    // No grace: the public board shows 2012 on its last day.
    let d = inbox_with(
        "[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\n[report]\nas_of = \"2012-12-31\"\npublic_grace_days = 0\nissuer = \"<b>县委</b>\"\n",
        "被评议对象编号,名称,类型,组织类型,乡镇\nA,<script>alert(1)</script>党支部,组织,机关,\"\"\"onerror=alert(2) x=\"\nB,{{ 7*7 }}党支部,组织,机关,=HYPERLINK(\"\"http://x\"\")\n",
    );
    let mut r = String::from(
        "问卷编号,被评议对象编号,评议日期,评议人类别,评议方式,评议途径,评价,意见建议\n",
    );
    for (s, n) in [("A", 30), ("B", 30)] {
        for i in 0..n {
            let rating = if i % 4 == 0 { "不满意" } else { "满意" };
            r.push_str(&format!("{s}{i},{s},2012-03-0{},服务对象,群众测评,问卷,{rating},<img src=x onerror=alert(3)>\n", 1 + i % 9));
        }
    }
    d.write("in/ratings.csv", &r);
    d.write(
        "in/ledger.csv",
        "台账编号,被评议对象编号,收集日期,收集方式,问题类别,意见建议内容,整改措施,责任人,完成时限,整改状态\nY1,A,2012-03-01,随机抽查,<i>类别</i>,</td><script>alert(4)</script>,{% raw %}x,\"\"\"onerror=\",2012-04-01,整改中\n",
    );
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    d
}

#[test]
fn user_text_is_escaped_everywhere() {
    let d = hostile();
    d.ok(&["report"]);
    d.ok(&["report", "--lang", "en"]);
    let files = tree(&d.join("reports"));
    let html: Vec<_> = files.iter().filter(|(p, _)| p.ends_with(".html")).collect();
    assert!(html.len() >= 6, "{:?}", files.keys().collect::<Vec<_>>());
    let mut saw_escaped = false;
    for (path, bytes) in html {
        let text = String::from_utf8_lossy(bytes);
        for raw in [
            "<script>alert",
            "<img src=x",
            "\"onerror=",
            "<b>县委",
            "<i>类别",
            "</td><script>",
        ] {
            assert!(!text.contains(raw), "{path} has raw {raw}");
        }
        assert!(
            !text.contains("49党支部"),
            "{path} evaluated a template expression from data"
        );
        saw_escaped |= text.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;党支部");
    }
    assert!(saw_escaped);
    let public = read(&d, "reports/public-zh/public.html");
    assert!(
        public.contains("<td>{{ 7*7 }}党支部</td>"),
        "data is shown, never evaluated"
    );
    let overdue = read(&d, "reports/leadership-zh/leadership.html");
    assert!(
        overdue.contains("&lt;&#x2f;td&gt;&lt;script&gt;alert(4)"),
        "ledger text is escaped too"
    );
    // A CSV cell Excel would run as a formula is defused.
    let grades = read(&d, "reports/leadership-zh/csv/grades.csv");
    assert!(grades.contains("'=HYPERLINK"), "{grades}");
}

#[test]
fn the_same_inputs_give_byte_identical_reports() {
    // Cards render in parallel: their bytes must not depend on the order.
    let d = county();
    d.ok(&["report", "--audience", "all"]);
    let first = tree(&d.join("reports"));
    std::fs::remove_dir_all(d.join("reports")).unwrap();
    d.ok(&["report", "--audience", "public", "--as-of", "2012-12-31"]);
    d.ok(&["report", "--audience", "units"]);
    d.ok(&["report", "--audience", "leadership"]);
    let second = tree(&d.join("reports"));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &first {
        assert!(bytes == &second[path], "{path} differs between two renders");
    }
    assert!(first.contains_key("leadership-zh/hr.xlsx"));
}

#[test]
fn unit_cards_hide_rater_categories_of_fewer_than_the_minimum_cell() {
    let d = county();
    d.ok(&["report", "--audience", "units"]);
    // ZZ0131 (a hospital) had 1 企业代表, 1 村组干部, 1 老党员, 2 离退休老干部
    // and 3 先锋户 rater in 2012 (checked with `pingyi query`).
    let card = read(&d, "reports/units-zh/cards/ZZ0131.html");
    let cell = |group: &str| {
        let re = regex::Regex::new(&format!(
            r#"<tr><td>{group}</td><td class="num">([^<]*)</td><td class="num[^"]*">([^<]*)</td>"#
        ))
        .unwrap();
        let c = re
            .captures(&card)
            .unwrap_or_else(|| panic!("no {group} row"));
        (c[1].to_string(), c[2].to_string())
    };
    assert_eq!(cell("企业代表"), ("&lt;5".to_string(), "—".to_string()));
    assert_eq!(cell("先锋户"), ("&lt;5".to_string(), "—".to_string()));
    assert_eq!(cell("服务对象"), ("10".to_string(), "76.9%".to_string()));
    assert!(card.contains("为保护评议人"));
}

#[test]
fn a_template_folder_overrides_file_by_file_and_a_broken_template_is_named() {
    let d = county();
    std::fs::create_dir_all(d.join("letterhead/i18n")).unwrap();
    d.write(
        "letterhead/i18n/zh.toml",
        "leadership_title = \"泸西县群众评议结果（专报）\"\n",
    );
    let base = std::fs::read_to_string(repo().join("report-templates/base.html")).unwrap();
    d.write(
        "letterhead/base.html",
        &base.replace(
            "<header class=\"letterhead\">",
            "<header class=\"letterhead\"><img alt=\"县徽\">",
        ),
    );
    d.ok(&[
        "report",
        "--audience",
        "leadership",
        "--templates",
        "letterhead",
    ]);
    let lead = read(&d, "reports/leadership-zh/leadership.html");
    assert!(lead.contains("泸西县群众评议结果（专报）"));
    assert!(lead.contains("<img alt=\"县徽\">"));
    assert!(
        lead.contains("诫勉谈话名单"),
        "labels not overridden fall back"
    );
    d.write(
        "letterhead/public.html",
        "{% extends \"base.html\" %}\n{% block content %}\n{{ m.meta.title \n{% endblock %}\n",
    );
    let r = d.run(&[
        "report",
        "--audience",
        "public",
        "--templates",
        "letterhead",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("public.html") && r.stderr.contains("line 4"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"));
    let r = d.run(&["report", "--templates", "nowhere"]);
    assert!(
        r.stderr.contains("--templates nowhere: no such folder"),
        "{}",
        r.stderr
    );
}

#[test]
fn reports_need_metrics_and_a_matching_as_of_date() {
    let d = Dir::new();
    d.write("pingyi.toml", "[paths]\nwarehouse = \"wh\"\n");
    let r = d.run(&["report"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("run `pingyi compute` first"),
        "{}",
        r.stderr
    );
    let d = county();
    let r = d.run(&["report", "--as-of", "2013-06-30"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("as of 2012-12-31, not 2013-06-30"),
        "{}",
        r.stderr
    );
    assert!(!d.join("reports/leadership-zh").exists());
}

#[test]
fn a_render_killed_before_publishing_leaves_the_previous_reports_whole() {
    let d = county();
    d.ok(&["report", "--audience", "public"]);
    let before = tree(&d.join("reports/public-zh"));
    let killed = d.run_env(
        &["report", "--audience", "public", "--lang", "zh"],
        &[("PINGYI_FAULT", "report-staged")],
    );
    assert_ne!(killed.code, 0);
    assert_eq!(tree(&d.join("reports/public-zh")), before);
    d.ok(&["report", "--audience", "public"]);
    let left: Vec<_> = std::fs::read_dir(d.join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

pub(crate) fn pdf_text(pdf: &Path, page: Option<u32>) -> String {
    let mut cmd = std::process::Command::new("pdftotext");
    if let Some(p) = page {
        cmd.args(["-f", &p.to_string(), "-l", &p.to_string()]);
    }
    let out = cmd
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by .ci/run");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn pdf_pages(pdf: &Path) -> u32 {
    let out = std::process::Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .expect("pdfinfo");
    let info = String::from_utf8_lossy(&out.stdout).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in {info}"))
}

#[test]
fn the_leadership_report_prints_to_pdf_with_its_chinese_headings_and_page_breaks() {
    let d = county();
    let r: Run = d.ok(&["report", "--audience", "leadership", "--pdf"]);
    assert!(r.stdout.contains("1 PDFs"), "{}", r.stdout);
    let pdf = d.join("reports/leadership-zh/leadership.pdf");
    let text = pdf_text(&pdf, None);
    for heading in [
        "群众评议结果报告（领导阅览版）",
        "诫勉谈话名单",
        "乡镇排名",
        "变化趋势",
        "评议主体构成",
        "整改落实",
        "说明",
    ] {
        assert!(text.contains(heading), "PDF text lacks {heading}");
    }
    // Six sections start a page each, and none is empty.
    let pages = pdf_pages(&pdf);
    assert!((7..=60).contains(&pages), "{pages} pages");
    let first = pdf_text(&pdf, Some(1));
    assert!(
        first.contains("要点") && !first.contains("变化趋势"),
        "page 1: {first}"
    );
    let last = pdf_text(&pdf, Some(pages));
    assert!(
        last.contains("SHA-256") || last.contains("输入文件"),
        "the methodology ends the report"
    );
}

#[test]
fn asking_for_a_pdf_without_chromium_explains_and_keeps_the_html() {
    let d = county();
    let r = d.run(&[
        "report",
        "--audience",
        "public",
        "--pdf",
        "--chromium",
        "/nonexistent/chromium",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("/nonexistent/chromium"), "{}", r.stderr);
    assert!(d.join("reports/public-zh/public.html").exists());
    assert!(!d.join("reports/public-zh/public.pdf").exists());
}
