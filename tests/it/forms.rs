//! `pingyi forms`: the printed 测评表 escape names and carry one id per
//! sheet, a sheet per page break in the PDF; the entry template filled with
//! valid rows ingests with nothing quarantined, and values pasted past its
//! drop-downs are quarantined with the right reason and Excel row; rows
//! shaped by `schema.json` ingest as well.

use std::path::{Path, PathBuf};

use calamine::{open_workbook_auto, Data, Reader};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::report::{pdf_pages as pages, pdf_text};
use crate::util::{split_csv, Dir};

/// A roster with an organization whose name needs escaping, a 机关 with
/// cadres (one without a pioneer category), and a 社区 with 30 cadres (a
/// sheet longer than a page).
fn roster() -> String {
    let mut s =
        String::from("被评议对象编号,名称,类型,组织类型,先锋类别,乡镇,村(社区),所属组织,职务\n");
    s += "ZZ0001,\"<b>西村&\"\"村\"\"</b>党总支\",组织,农村,,中枢镇,西村村,中枢镇党委,\n";
    s += "GB0001,张三,干部,农村,富民先锋,中枢镇,西村村,\"<b>西村&\"\"村\"\"</b>党总支\",村支书\n";
    s += "ZZ0002,县某局党支部,组织,机关,,金马镇,,县直机关工委,\n";
    s += "GB0002,李四,干部,机关,勤廉先锋,金马镇,,县某局党支部,局长\n";
    s += "GB0003,王五,干部,机关,,金马镇,,县某局党支部,副局长\n";
    s += "ZZ0003,东街社区党总支,组织,社区,,中枢镇,东街社区,中枢镇党委,\n";
    for i in 0..30 {
        s += &format!(
            "GB1{i:03},社区干部{i},干部,社区,和谐先锋,中枢镇,东街社区,东街社区党总支,网格员\n"
        );
    }
    s
}

/// A folder with the roster ingested and an issuer configured.
fn campaign_dir() -> Dir {
    let d = Dir::new();
    d.write("pingyi.toml", "[report]\nissuer = \"某某县委组织部\"\n");
    d.write("roster.csv", &roster());
    d.ok(&["ingest", "roster.csv"]);
    d
}

fn query(d: &Dir, sql: &str) -> Vec<Vec<String>> {
    let r = d.ok(&["query", "--format", "csv", sql]);
    r.stdout.lines().skip(1).map(split_csv).collect()
}

fn read(p: PathBuf) -> String {
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn forms_escape_names_and_carry_items_scale_categories_and_sheet_ids() {
    let d = campaign_dir();
    let r = d.ok(&[
        "forms", "--period", "2012q3", "--copies", "2", "--out", "out",
    ]);
    assert!(
        r.stdout.contains("3 subject groups, 6 sheets"),
        "{}",
        r.stdout
    );
    let village = read(d.join("out/ZZ0001.html"));
    assert!(
        village.contains("&lt;b&gt;西村&amp;&quot;村&quot;&lt;&#x2f;b&gt;党总支")
            || village.contains("&lt;b&gt;西村&amp;&quot;村&quot;&lt;/b&gt;党总支"),
        "the name is escaped"
    );
    assert!(!village.contains("<b>西村"), "no raw markup from data");
    for want in [
        "某某县委组织部",
        "2012年第3季度群众满意度测评表",
        "2012Q3-ZZ0001-001",
        "2012Q3-ZZ0001-002",
        "富民强村", // the 农村 organization's item
        "带头致富", // its cadre's, from the 富民先锋 category
        "不了解",
        "两代表一委员",
        "先锋户",
        "意见建议",
        "GB0001",
    ] {
        assert!(village.contains(want), "ZZ0001.html lacks {want}");
    }
    assert_eq!(
        village.matches("class=\"sheet\"").count(),
        2,
        "one section per copy"
    );
    // The cadre without a pioneer category is rated on his org type's (勤廉先锋).
    let office = read(d.join("out/ZZ0002.html"));
    assert!(office.contains("效能提升") && office.contains("勤政廉洁"));
    assert_eq!(
        office.matches("勤政廉洁").count(),
        2,
        "李四 and 王五 share one grid per sheet"
    );
    assert!(!office.contains("张三"), "each group holds its own unit");
    let index = read(d.join("out/index.html"));
    assert!(index.contains("ZZ0003.html") && index.contains("录入模板-2012Q3.xlsx"));
    // Nothing reads the clock: the same roster and configuration give the same bytes.
    d.ok(&[
        "forms", "--period", "2012Q3", "--copies", "2", "--out", "again",
    ]);
    assert!(crate::util::tree(&d.join("out")) == crate::util::tree(&d.join("again")));
    // Filters: one township; an unknown one names the known.
    d.ok(&[
        "forms",
        "--period",
        "2012Q3",
        "--township",
        "金马镇",
        "--out",
        "jm",
    ]);
    assert!(d.join("jm/ZZ0002.html").exists() && !d.join("jm/ZZ0001.html").exists());
    let bad = d.run(&["forms", "--period", "2012Q3", "--township", "火星乡"]);
    assert!(
        bad.code != 0 && bad.stderr.contains("中枢镇, 金马镇"),
        "{}",
        bad.stderr
    );
    let bad = d.run(&["forms", "--period", "2012-09"]);
    assert!(bad.stderr.contains("write it as 2012Q3"), "{}", bad.stderr);
    let en = d.ok(&["forms", "--period", "2012Q3", "--lang", "en", "--out", "en"]);
    assert!(en.stdout.contains("3 subject groups"));
    assert!(read(d.join("en/ZZ0002.html")).contains("满意 = satisfied"));
    assert!(d.join("en/entry-2012Q3.xlsx").exists());
    // A county's own wording and layout: labels key by key, templates file by file.
    std::fs::create_dir_all(d.join("tpl/forms/i18n")).unwrap();
    d.write(
        "tpl/forms/i18n/zh.toml",
        "title = \"党员干部测评表（试行）\"\n",
    );
    // The county's templates, printed into `own/`.
    let own_forms = || {
        d.run(&[
            "forms",
            "--period",
            "2012Q3",
            "--templates",
            "tpl",
            "--out",
            "own",
        ])
    };
    let r = own_forms();
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let own = read(d.join("own/ZZ0002.html"));
    assert!(own.contains("2012年第3季度党员干部测评表（试行）") && own.contains("意见建议"));
    d.write("tpl/forms/form.html", "{% for x in %}");
    let bad = own_forms();
    assert!(
        bad.code == 1 && bad.stderr.contains("forms/form.html") && bad.stderr.contains("line 1"),
        "{}",
        bad.stderr
    );
    assert!(
        read(d.join("own/ZZ0002.html")).contains("试行"),
        "a failed run leaves the published forms"
    );
}

#[test]
fn forms_without_a_roster_say_to_ingest_one() {
    let d = Dir::new();
    let r = d.run(&["forms", "--period", "2012Q3"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("ingest the roster"), "{}", r.stderr);
    assert!(!d.join("forms").join("2012Q3").exists());
}

/// The template's sheets as text, by sheet name, in workbook order.
fn sheets(path: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    let mut book = open_workbook_auto(path).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|r| {
                    r.iter()
                        .map(|c| match c {
                            Data::Empty => String::new(),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .collect();
            (name, rows)
        })
        .collect()
}

/// A column of the list sheet, by its title's end (`…满意度`).
/// The number format of each column of the first sheet, as Excel names it
/// (read from the workbook's XML with Python's zipfile: calamine does not
/// read column styles).
fn column_formats(path: &Path) -> Vec<String> {
    let script = r#"
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
styles = z.read("xl/styles.xml").decode()
sheet = z.read("xl/worksheets/sheet1.xml").decode()
names = {"0": "General", "49": "@"}
names.update(re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles))
xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
ids = re.findall(r'<xf [^>]*numFmtId="(\d+)"', xfs)
for lo, hi, style in re.findall(r'<col min="(\d+)" max="(\d+)"[^>]*style="(\d+)"', sheet):
    for _ in range(int(lo), int(hi) + 1):
        print(names.get(ids[int(style)], ids[int(style)]))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn list(lists: &[Vec<String>], title_end: &str) -> Vec<String> {
    let k = lists[0]
        .iter()
        .position(|t| t.ends_with(title_end))
        .unwrap();
    lists[1..]
        .iter()
        .filter_map(|r| r.get(k).filter(|v| !v.is_empty()).cloned())
        .collect()
}

enum Cell {
    Text(String),
    Date(u16, u8, u8),
}

/// The template as a clerk leaves it: every sheet kept, rows keyed below the
/// entry sheet's header (dates typed into the date-formatted column).
fn fill(template: &Path, rows: &[Vec<Cell>], out: &Path) {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (i, (name, cells)) in sheets(template).into_iter().enumerate() {
        let ws = book.add_worksheet();
        ws.set_name(&name).unwrap();
        for (r, row) in cells.iter().enumerate() {
            for (c, v) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
                ws.write_string(r as u32, c as u16, v).unwrap();
            }
        }
        if i == 0 {
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    let (r, c) = (r as u32 + 1, c as u16);
                    match v {
                        Cell::Text(t) if t.is_empty() => {}
                        Cell::Text(t) => {
                            ws.write_string(r, c, t).unwrap();
                        }
                        Cell::Date(y, m, dd) => {
                            let dt = ExcelDateTime::from_ymd(*y, *m, *dd).unwrap();
                            ws.write_datetime_with_format(r, c, &dt, &date).unwrap();
                        }
                    }
                }
            }
        }
    }
    book.save(out).unwrap();
}

/// Valid rows from the template's own lists: every (sheet id, subject, item)
/// of the first `ids` sheet ids, the other columns cycling through their lists.
fn valid_rows(template: &Path, ids: usize) -> (Vec<String>, Vec<Vec<Cell>>) {
    let all = sheets(template);
    let header = all[0].1[0].clone();
    let lists = &all[2].1;
    let (sheet_ids, subjects, items) = (
        list(lists, "问卷编号"),
        list(lists, "被评议对象编号"),
        list(lists, "评议内容"),
    );
    let (ratings, cats) = (list(lists, "评价"), list(lists, "评议人类别"));
    let (methods, channels) = (list(lists, "评议方式"), list(lists, "评议途径"));
    let mut rows = Vec::new();
    for (n, id) in sheet_ids.iter().take(ids).enumerate() {
        for s in &subjects {
            for it in &items {
                let k = rows.len();
                let by_header = |h: &str| -> Cell {
                    Cell::Text(match h {
                        "问卷编号" => id.clone(),
                        "评议人类别" => cats[n % cats.len()].clone(),
                        "评议方式" => methods[n % methods.len()].clone(),
                        "评议途径" => channels[n % channels.len()].clone(),
                        "被评议对象编号" => s.clone(),
                        "评议内容" => it.clone(),
                        "评价" => ratings[k % ratings.len()].clone(),
                        "意见建议" if k == 0 => "路灯坏了<script>".into(),
                        "采集人" => format!("调查员{}", n % 2),
                        _ => String::new(),
                    })
                };
                rows.push(
                    header
                        .iter()
                        .map(|h| match h.as_str() {
                            "评议日期" => Cell::Date(2012, 7 + (n % 3) as u8, 15),
                            h => by_header(h),
                        })
                        .collect(),
                );
            }
        }
    }
    (header, rows)
}

/// The campaign folder and its entry template, `copies` sheets per group.
fn template(copies: &str) -> (Dir, PathBuf) {
    let d = campaign_dir();
    d.ok(&[
        "forms", "--period", "2012Q3", "--copies", copies, "--out", "out",
    ]);
    let template = d.join("out/录入模板-2012Q3.xlsx");
    (d, template)
}

#[test]
fn the_entry_template_speaks_the_contract_and_round_trips_through_ingest() {
    let (d, template) = template("3");
    let all = sheets(&template);
    let names: Vec<&str> = all.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["录入", "填写说明", "可选值"]);
    assert_eq!(
        all[0].1[0],
        [
            "问卷编号",
            "评议日期",
            "评议人类别",
            "评议方式",
            "评议途径",
            "被评议对象编号",
            "评议内容",
            "评价",
            "意见建议",
            "采集人"
        ],
        "headers are the configured aliases of the contract's columns"
    );
    assert_eq!(
        column_formats(&template)[..6],
        ["@", "yyyy-mm-dd", "General", "General", "General", "@"],
        "ids are text cells: Excel keeps their leading zeros and every digit"
    );
    assert_eq!(list(&all[2].1, "问卷编号").len(), 9, "3 groups × 3 copies");
    assert_eq!(list(&all[2].1, "被评议对象编号").len(), 36);
    // The blank template ingests as an empty batch, not a refused file.
    let blank = d.run(&["ingest", "out/录入模板-2012Q3.xlsx"]);
    assert_eq!(blank.code, 0, "{}{}", blank.stdout, blank.stderr);

    let (_, rows) = valid_rows(&template, 4);
    let n = rows.len();
    assert_eq!(
        n,
        4 * 36 * 12,
        "4 sheet ids × 36 subjects × the 12 items of the campaign"
    );
    fill(&template, &rows, &d.join("filled.xlsx"));
    let r = d.run(&["ingest", "filled.xlsx"]);
    assert_eq!(r.code, 0, "nothing quarantined: {}{}", r.stdout, r.stderr);
    assert_eq!(
        query(&d, "select count(*) as n, count(distinct response_id) as sheets, count(distinct subject_id) as subjects, min(period) as first, max(period) as last from ratings"),
        vec![vec![n.to_string(), "4".into(), "36".into(), "2012Q3".into(), "2012Q3".into()]]
    );
    assert_eq!(query(&d, "select count(*) from quarantine")[0][0], "0");
    assert_eq!(
        query(&d, "select comment from ratings where comment is not null"),
        vec![vec!["路灯坏了<script>".to_string()]]
    );
    assert_eq!(
        query(
            &d,
            "select collector, count(*) from ratings group by collector order by collector"
        ),
        vec![
            vec!["调查员0".to_string(), (n / 2).to_string()],
            vec!["调查员1".to_string(), (n / 2).to_string()]
        ],
        "the collector (采集人) is kept as keyed"
    );
}

#[test]
fn values_pasted_past_the_drop_downs_are_quarantined_with_reason_and_excel_row() {
    let (d, template) = template("1");
    let (header, valid) = valid_rows(&template, 1);
    let at = |h: &str| header.iter().position(|x| x == h).unwrap();
    // (column header, pasted value, canonical column, reason); the row at
    // index i lands on Excel row i + 2.
    let faults = [
        ("问卷编号", "", "response_id", "missing_required"),
        ("评议日期", "2012-02-30", "rated_at", "bad_date"),
        ("评议人类别", "路人", "rater_category", "unknown_category"),
        ("评议方式", "抽签", "method", "unknown_method"),
        ("评议途径", "微信群", "channel", "unknown_channel"),
        ("被评议对象编号", "ZZ9999", "subject_id", "unknown_subject"),
        ("评价", "还行", "rating", "off_scale"),
    ];
    let mut rows: Vec<Vec<Cell>> = valid.into_iter().take(20).collect();
    for (i, (h, v, _, _)) in faults.iter().enumerate() {
        rows[i][at(h)] = Cell::Text(v.to_string());
    }
    fill(&template, &rows, &d.join("pasted.xlsx"));
    let r = d.run(&["ingest", "pasted.xlsx"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let got = query(
        &d,
        "select sheet, source_line, \"column\", reason from quarantine order by source_line",
    );
    let want: Vec<Vec<String>> = faults
        .iter()
        .enumerate()
        .map(|(i, (_, _, c, reason))| {
            vec![
                "录入".to_string(),
                (i + 2).to_string(),
                c.to_string(),
                reason.to_string(),
            ]
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(query(&d, "select count(*) from ratings")[0][0], "13");
}

#[test]
fn rows_shaped_by_the_schema_ingest_and_its_enums_are_the_configuration() {
    let d = campaign_dir();
    d.ok(&[
        "forms", "--period", "2012Q3", "--copies", "1", "--out", "out",
    ]);
    let schema: serde_json::Value = serde_json::from_str(&read(d.join("out/schema.json"))).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        required,
        [
            "response_id",
            "subject_id",
            "rated_at",
            "rater_category",
            "method",
            "channel",
            "rating"
        ]
    );
    let p = &schema["properties"];
    let values = |k: &str| -> Vec<String> {
        p[k]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{k} has an enum"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        values("rating").contains(&"不了解".to_string())
            && values("rating").contains(&"satisfied".to_string())
    );
    assert_eq!(values("subject_id").len(), 36);
    assert!(values("channel").contains(&"评价器".to_string()));
    // One line per enum value of each coded key (the rest fixed): all accepted.
    let mut lines = Vec::new();
    let base = serde_json::json!({
        "subject_id": "ZZ0001", "rated_at": "2012-08-01 09:30:00", "rater_category": "服务对象",
        "method": "群众测评", "channel": "评价器", "item": "总体评价", "rating": "满意", "device_id": "PJQ-1"
    });
    for key in [
        "subject_id",
        "rater_category",
        "method",
        "channel",
        "item",
        "rating",
    ] {
        for v in values(key) {
            let mut o = base.clone();
            o[key] = v.into();
            o["response_id"] = format!("DV{}", lines.len()).into();
            lines.push(o.to_string());
        }
    }
    std::fs::write(d.join("device.jsonl"), lines.join("\n") + "\n").unwrap();
    let r = d.run(&["ingest", "device.jsonl"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(&d, "select count(*) from ratings")[0][0],
        lines.len().to_string()
    );
}

#[test]
fn the_pdf_has_chinese_text_and_each_sheet_starts_a_page() {
    let d = campaign_dir();
    let r = d.ok(&[
        "forms",
        "--period",
        "2012Q3",
        "--copies",
        "2",
        "--org-type",
        "机关",
        "--pdf",
        "--out",
        "one",
    ]);
    assert!(
        r.stdout.contains("1 subject groups, 2 sheets, 1 PDFs"),
        "{}",
        r.stdout
    );
    let pdf = d.join("one/ZZ0002.pdf");
    assert_eq!(pages(&pdf), 2, "a short group: one page per sheet");
    for (page, id) in [(1, "2012Q3-ZZ0002-001"), (2, "2012Q3-ZZ0002-002")] {
        let text = pdf_text(&pdf, Some(page));
        assert!(
            text.contains("群众满意度测评表") && text.contains("县某局党支部"),
            "{text}"
        );
        assert!(
            text.contains(id) && text.contains("李四"),
            "page {page}: {text}"
        );
    }
    // 31 subjects do not fit one page: each sheet takes two, the grid's
    // header (with the sheet id) repeats, and the next sheet starts a page.
    d.ok(&[
        "forms",
        "--period",
        "2012Q3",
        "--copies",
        "2",
        "--org-type",
        "社区",
        "--pdf",
        "--out",
        "long",
    ]);
    let pdf = d.join("long/ZZ0003.pdf");
    let n = pages(&pdf);
    assert!(n % 2 == 0 && n >= 4, "{n} pages");
    let half = n / 2;
    for page in 1..=n {
        let text = pdf_text(&pdf, Some(page));
        let id = if page <= half {
            "2012Q3-ZZ0003-001"
        } else {
            "2012Q3-ZZ0003-002"
        };
        assert!(
            text.contains(id),
            "page {page} of {n} names its sheet {id}: {text}"
        );
    }
    assert!(
        pdf_text(&pdf, Some(half + 1)).contains("群众满意度测评表"),
        "sheet 2 starts on a fresh page"
    );
}

#[test]
fn a_json_lines_source_gets_a_schema_in_its_own_keys_and_scale() {
    let d = campaign_dir();
    d.write(
        "pingyi.toml",
        "[sources.dev]\nfiles = [\"*dev*.jsonl\"]\nkind = \"ratings\"\n\
         [sources.dev.columns]\nresponse_id = \"vote\"\nsubject_id = \"target\"\nrated_at = \"ts\"\nrating = \"button\"\n\
         [sources.dev.constants]\nmethod = \"群众测评\"\nchannel = \"评价器\"\nrater_category = \"服务对象\"\n\
         [sources.dev.scale]\n\"1\" = \"满意\"\n\"2\" = \"不满意\"\n",
    );
    d.ok(&[
        "forms", "--period", "2012Q3", "--copies", "1", "--out", "out",
    ]);
    let schema: serde_json::Value =
        serde_json::from_str(&read(d.join("out/schema-dev.json"))).unwrap();
    assert_eq!(
        schema["required"],
        serde_json::json!(["vote", "target", "ts", "button"])
    );
    let buttons = schema["properties"]["button"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        buttons[..4],
        [serde_json::json!("1"), 1.into(), "2".into(), 2.into()]
    );
    assert!(schema["properties"].get("subject_id").is_none());
    let lines: Vec<String> = buttons
        .iter()
        .enumerate()
        .map(|(i, b)| {
            serde_json::json!({"vote": format!("V{i}"), "target": "GB0002", "ts": "2012-08-01 10:00:00", "button": b})
                .to_string()
        })
        .collect();
    std::fs::write(d.join("dev-export.jsonl"), lines.join("\n") + "\n").unwrap();
    let r = d.run(&["ingest", "dev-export.jsonl"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(&d, "select count(*) from ratings")[0][0],
        lines.len().to_string()
    );
}
