//! The 公示 as a township posts it: its period in working days, where to
//! object (never a made-up number), the grades in words, the withheld count
//! said in the body, overdue rectification in words, figures as people
//! write them; and printed, an A4 PDF.

use crate::report::{pdf_pages, pdf_text};
use crate::util::{county, csv_records, Dir};

fn read(d: &Dir, rel: &str) -> String {
    std::fs::read_to_string(d.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The sample's configuration with `edit` applied to its text.
fn county_with(edit: impl Fn(String) -> String) -> Dir {
    let d = county();
    let toml = read(&d, "pingyi.toml");
    d.write("pingyi.toml", &edit(toml));
    d
}

#[test]
fn the_public_notice_says_how_long_it_runs_where_to_object_and_what_grades_mean() {
    let d = county();
    d.ok(&["report", "--audience", "public"]);
    let html = read(&d, "reports/public-zh/public.html");
    for want in [
        "<h1>2011 年度群众评议结果公示</h1>",
        // As of Monday 2012-12-31; 2013-01-01..03 are holidays and the 5th
        // and 6th are 调休 workdays, so five working days end on the 7th.
        "公示期：2012-12-31 至 2013-01-07（5 个工作日）",
        "监督电话：<b>0000-0000000（样例，非真实号码）</b>",
        "电子邮箱：<b>jiandu@example.org</b>",
        "优秀：年度满意率 90% 及以上",
        "良好：80% 至不满 90%",
        "较差：低于 70%",
        "评议人数少于 20 人的，不评定等次。",
        "本年度共评议 592 个对象，本公示公布 164 个，其余 428 个（占 72%）的结果不予公布。",
        "本乡镇另有 35 个对象的结果因评议人数少，不予公布。",
        "逾期 565 天",
        // 中枢镇's own units; the county bodies (县直单位) apart, last.
        "<td><a href=\"#tw-2\">中枢镇</a></td><td class=\"num\">694</td>",
        "<td><a href=\"#tw-9\">县直单位</a></td><td class=\"num\">1,059</td>",
    ] {
        assert!(html.contains(want), "public.html lacks {want:?}");
    }
    // Said in the body, not as a small grey note.
    assert!(
        !html.contains("<p class=\"note\">另有"),
        "withheld count in a note"
    );
}

#[test]
fn without_a_configured_telephone_the_notice_says_where_to_ask_and_invents_none() {
    let d = county_with(|t| {
        t.lines()
            .filter(|l| !l.starts_with("objection_"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    d.ok(&["report", "--audience", "public"]);
    let html = read(&d, "reports/public-zh/public.html");
    assert!(
        !html.contains("监督电话"),
        "a telephone line without a number"
    );
    assert!(
        html.contains("具体受理电话和地址请向某某县委组织部（样例数据）询问。"),
        "no line saying where to ask"
    );
}

#[test]
fn calendar_days_are_said_when_configured() {
    let d = county_with(|t| {
        t.replace(
            "[report]\n",
            "[report]\nnotice_workdays = false\nnotice_days = 7\n",
        )
    });
    d.ok(&["report", "--audience", "public"]);
    let html = read(&d, "reports/public-zh/public.html");
    assert!(
        html.contains("公示期：2012-12-31 至 2013-01-06（7 天）"),
        "calendar-day period"
    );
}

#[test]
fn the_public_csv_gives_rates_as_percentages_and_cadres_their_unit() {
    // min_cell 1 publishes the cadres the sample otherwise withholds.
    let d = county_with(|t| {
        t.replace(
            "[report]\n",
            "[report]\nmin_cell = 1\nmin_cell_extreme = 1\n",
        )
    });
    d.ok(&["report", "--audience", "public"]);
    let rows = csv_records(read(&d, "reports/public-zh/public.csv").trim_start_matches('\u{feff}'));
    let head = &rows[0];
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} in {head:?}"))
    };
    let (rate, unit, kind) = (col("满意率"), col("所属单位"), col("类型"));
    assert_eq!(rows[1][rate], "89.9%", "county rate as a percentage");
    let cadre = rows
        .iter()
        .find(|r| r[kind] == "干部")
        .expect("a cadre row once min_cell is 1");
    assert!(!cadre[unit].is_empty(), "cadre without unit: {cadre:?}");
    let html = read(&d, "reports/public-zh/public.html");
    assert!(
        html.contains("<th>所属单位</th>"),
        "cadre table without a unit column"
    );
}

#[test]
fn the_public_notice_prints_on_a4_with_its_objection_lines() {
    let d = county();
    d.ok(&["report", "--audience", "public", "--pdf"]);
    let pdf = d.join("reports/public-zh/public.pdf");
    let page1 = pdf_text(&pdf, Some(1));
    for want in ["公示期", "监督电话", "等次的含义", "未公布的结果"] {
        assert!(page1.contains(want), "page 1 lacks {want}: {page1}");
    }
    assert!(pdf_text(&pdf, None).contains("逾期 565 天"));
    let pages = pdf_pages(&pdf);
    // A page per township, and one for the county bodies (县直单位).
    assert!(pages <= 14, "the sample 公示 prints on {pages} pages");
    let info = std::process::Command::new("pdfinfo")
        .arg(&pdf)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("(A4)"), "not A4: {info}");
}

/// The words a reader sees on a page: no styles, scripts, charts or tags,
/// entities decoded.
fn visible_text(html: &str) -> String {
    let hidden =
        regex::Regex::new(r"(?s)<style>.*?</style>|<script>.*?</script>|<svg.*?</svg>").unwrap();
    let tags = regex::Regex::new(r"<[^>]+>").unwrap();
    let text = tags
        .replace_all(&hidden.replace_all(html, ""), " ")
        .into_owned();
    [
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#x27;", "'"),
        ("&#x2f;", "/"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(text, |t, (e, c)| t.replace(e, c))
}

#[test]
fn chinese_pages_speak_chinese_outside_the_methodology() {
    let d = county();
    d.ok(&["report"]);
    let leadership = read(&d, "reports/leadership-zh/leadership.html");
    let (body, method) = leadership
        .split_once("<section id=\"methodology\"")
        .expect("a methodology section");
    let mut pages = vec![("leadership.html", visible_text(body))];
    for rel in [
        "reports/public-zh/public.html",
        "reports/units-zh/index.html",
        "reports/units-zh/cards/GB00001.html",
        "reports/index.html",
    ] {
        pages.push((rel, visible_text(&read(&d, rel))));
    }
    let forbidden = [
        "Mann-Kendall",
        "Sen 斜率",
        "Sen’s",
        "p 值",
        "q 值",
        "Q_g",
        "× 1",
        "× 2",
        "< 60%",
        ";",
        "Benjamini",
    ];
    for (page, text) in &pages {
        for term in forbidden {
            assert!(!text.contains(term), "{page} says {term:?}");
        }
    }
    // The English names appear once, in the methodology, for who looks them up.
    let method = visible_text(method);
    assert_eq!(method.matches("Mann-Kendall").count(), 1);
    assert!(
        method.contains("低于 60% 一期 / 低于 70% 两期"),
        "rules in words"
    );
    assert!(!method.contains("p 值") && !method.contains("Q_g"));
}

#[test]
fn the_index_names_both_editions_and_english_never_rewrites_the_chinese() {
    let d = county();
    d.ok(&["report"]);
    let edition = |html: &str, lang: &str| -> String {
        let start = html
            .find(&format!("<section class=\"edition\" lang=\"{lang}\">"))
            .unwrap_or_else(|| panic!("no {lang} edition in {html}"));
        let len = html[start..].find("</section>").unwrap();
        html[start..start + len].to_string()
    };
    let before = read(&d, "reports/index.html");
    let zh = edition(&before, "zh-CN");
    for want in [
        "中文版",
        "群众评议结果公示",
        "网页版（浏览器打开）",
        "反馈卡目录（可按名称、编号、职务查找）",
    ] {
        assert!(zh.contains(want), "index lacks {want}");
    }
    d.ok(&["report", "--lang", "en"]);
    let after = read(&d, "reports/index.html");
    assert_eq!(
        edition(&after, "zh-CN"),
        zh,
        "rendering English rewrote the Chinese entries"
    );
    let en = edition(&after, "en");
    assert!(
        en.contains("English edition") && en.contains("Web page"),
        "{en}"
    );
    assert!(
        after.contains("<h1>群众评议报告</h1>"),
        "the index keeps the configured language"
    );
}

#[test]
fn the_card_index_gives_cadres_their_unit_and_position() {
    let d = county();
    d.ok(&["report", "--audience", "units"]);
    let html = read(&d, "reports/units-zh/index.html");
    let row = html
        .lines()
        .find(|l| l.contains(">GB00001<"))
        .expect("GB00001 in the card index");
    assert!(row.contains("<td>干部</td>"), "cadre's kind: {row}");
    assert!(row.contains("下平社区党总支 · 社区党总支书记"), "{row}");
    assert!(
        !row.contains("<td>社区</td>"),
        "the org type as a cadre's kind: {row}"
    );
}

/// The text of each page of a PDF.
fn pages_text(pdf: &std::path::Path) -> Vec<String> {
    (1..=pdf_pages(pdf))
        .map(|p| pdf_text(pdf, Some(p)))
        .collect()
}

#[test]
fn the_leadership_pdf_reads_as_a_leader_turns_its_pages() {
    let d = county();
    d.ok(&["report", "--audience", "leadership", "--pdf"]);
    let pdf = d.join("reports/leadership-zh/leadership.pdf");
    let pages = pages_text(&pdf);
    // 20 pages before issue 37 (forced breaks, three composition pages, a
    // page for an empty breach list, two rows alone on the last page).
    assert!(
        pages.len() <= 17,
        "the sample's leadership PDF has {} pages",
        pages.len()
    );
    // Page 1: the summary, the tiles and the township chart.
    for want in ["要点 · 2012", "总体满意率 · 2012", "逾期未整改", "乡镇排名"] {
        assert!(pages[0].contains(want), "page 1 lacks {want}: {}", pages[0]);
    }
    // One page of small multiples: every org type's panel with its legend.
    let org_types = ["机关", "农村", "社区", "学校", "医院", "企业", "社会组织"];
    let multiples = pages
        .iter()
        .filter(|p| p.matches("规定比例").count() >= org_types.len())
        .count();
    assert_eq!(multiples, 1, "the composition panels are not on one page");
    // No near-empty page: a section starts where the last one ends, and a
    // table's first and last five rows stay together.
    for (i, p) in pages.iter().enumerate() {
        let lines = p.lines().filter(|l| !l.trim().is_empty()).count();
        assert!(lines >= 20, "page {} holds {lines} lines:\n{p}", i + 1);
    }
}
