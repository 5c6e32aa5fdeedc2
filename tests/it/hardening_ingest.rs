//! Ingest hardening, round 2 (issue 34): Unicode and case variants past
//! the dedupe, hidden workbook content, personal data in refusals,
//! symlinks and FIFOs in the inbox, impossible ledger histories, overlong
//! lines and cells, a period column contradicting the date.

use crate::util::{
    keyed_one_subject, line_naming, plain_row, query_rows, write_row, PLAIN_COLUMNS,
};

const HEAD: &str =
    "问卷编号,被评议对象编号,评议日期,评议人类别,评议人编号,评议方式,评议途径,评议内容,评价\n";

fn rating(response: &str, subject: &str, item: &str) -> String {
    format!("{response},{subject},2012-09-03,普通群众,P1,群众测评,问卷,{item},满意\n")
}

#[test]
fn unicode_and_case_variants_of_one_rating_are_one_rating() {
    let d = keyed_one_subject();
    let mut text = String::from(HEAD);
    let id = "UV0000000000001";
    for v in [
        id.to_string(),
        id.to_lowercase(),
        format!("\u{200b}{id}"),
        format!("{id}\u{200b}"),
        "UV000000\u{2060}0000001".to_string(),
        "ＵＶ0000000000001".to_string(),
    ] {
        text.push_str(&rating(&v, "ZZ0001", "总体评价"));
    }
    for item in ["总体评价\u{200b}", "总体 评价", "\u{feff}总体评价"] {
        text.push_str(&rating(id, "zz0001", item));
    }
    text.push_str(&rating(id, "ZZ0001", "總體評價"));
    d.write("in/ratings.csv", &text);
    assert_eq!(d.run(&["ingest"]).code, 3);
    assert_eq!(
        query_rows(&d, "select response_id, subject_id, item from ratings"),
        vec![vec![id, "ZZ0001", "总体评价"]],
        "one rating, stored normalized"
    );
    let q = query_rows(
        &d,
        "select reason, count(*) as n from quarantine group by reason order by reason",
    );
    assert_eq!(q, vec![vec!["bad_value", "1"], vec!["duplicate", "8"]]);
    let trad = query_rows(
        &d,
        "select detail from quarantine where reason = 'bad_value'",
    );
    assert!(
        trad[0][0].contains("use the simplified form 总体评价"),
        "{trad:?}"
    );
}

/// Every file under `dir` whose bytes contain `needle`, as relative paths.
fn holding(dir: &std::path::Path, needle: &str) -> Vec<String> {
    crate::util::tree(dir)
        .into_iter()
        .filter(|(_, bytes)| String::from_utf8_lossy(bytes).contains(needle))
        .map(|(p, _)| p)
        .collect()
}

#[test]
fn a_refusal_quotes_unknown_header_cells_by_position_and_hash_only() {
    let d = keyed_one_subject();
    // No header row: the first line is a rater's data.
    d.write(
        "in/export.csv",
        "张三,13899997777,2012-09-03,满意\n李四,13899996666,2012-09-04,不满意\n",
    );
    let r = d.run(&["run"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    let reason = std::fs::read_to_string(d.join("wh/rejected/export.csv.reason.txt")).unwrap();
    assert!(
        reason.contains("found headers: column 1 (#") && reason.contains("column 2 (#"),
        "{reason}"
    );
    for secret in ["13899997777", "张三"] {
        assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret));
        let mut seen = holding(d.path(), secret);
        seen.retain(|p| !p.starts_with("in/"));
        assert!(seen.is_empty(), "{secret} in {seen:?}");
    }
}

#[test]
fn symlinks_fifos_and_devices_in_the_inbox_are_refused_unopened() {
    let d = keyed_one_subject();
    d.write("secret.csv", "问卷编号,评价\nSECRET-KEY-LINE,满意\n");
    std::os::unix::fs::symlink(d.join("secret.csv"), d.join("in/link.csv")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("in/zero.csv")).unwrap();
    let fifo = d.join("in/pipe.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    let line = |name: &str| line_naming(&r.stdout, name);
    assert!(line("link.csv").contains("symbolic link"), "{}", r.stdout);
    assert!(line("zero.csv").contains("symbolic link"), "{}", r.stdout);
    assert!(line("pipe.csv").contains("FIFO"), "{}", r.stdout);
    assert!(holding(&d.join("wh"), "SECRET-KEY-LINE").is_empty());
    // The roster beside them is ingested.
    assert_eq!(
        query_rows(&d, "select count(*) from subjects"),
        vec![vec!["1"]]
    );
}

#[test]
fn a_file_over_the_configured_size_is_refused_by_name_with_the_limit() {
    let d = keyed_one_subject();
    let cfg = std::fs::read_to_string(d.join("pingyi.toml")).unwrap();
    d.write(
        "pingyi.toml",
        &format!("{cfg}[ingest]\nmax_file_bytes = 200\n"),
    );
    let mut text = String::from(HEAD);
    for i in 0..5 {
        text.push_str(&rating(&format!("Q{i}"), "ZZ0001", "总体评价"));
    }
    d.write("in/ratings.csv", &text);
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains("ratings.csv"))
        .unwrap();
    assert!(
        line.contains("refused") && line.contains("ingest.max_file_bytes (200 bytes)"),
        "{line}"
    );
}

#[test]
fn impossible_ledger_histories_are_quarantined_each_with_its_reason() {
    let d = keyed_one_subject();
    let head = "台账编号,被评议对象编号,收集日期,收集方式,问题类别,完成时限,整改状态,销号日期\n";
    let body = [
        "Y1,ZZ0001,2012-10-01,随机抽查,就业,2012-11-01,已销号,2012-01-05",
        "Y2,ZZ0001,2012-03-01,随机抽查,就业,2012-04-01,已销号,",
        "Y3,ZZ0001,2012-03-01,随机抽查,就业,2012-04-01,未整改,2012-03-20",
        "Y4,ZZ0001,2012-03-01,随机抽查,就业,2012-02-01,整改中,",
        "Y5,ZZ0001,2012-03-01,随机抽查,就业,2012-04-01,整改中,",
        "Y5,ZZ0001,2012-03-01,随机抽查,就业,2012-04-01,已销号,2012-03-15",
        "Y6,ZZ0001,2012-03-01,随机抽查,就业,2012-04-01,整改中,",
        "Y6,ZZ0001,2012-03-01,随机抽查,就业,2012-04-01,整改中,",
        "Y7,ZZ0001,2012-03-01,随机抽查,就业,2012-04-01,已销号,2012-03-25",
    ];
    d.write("in/ledger.csv", &format!("{head}{}\n", body.join("\n")));
    assert_eq!(d.run(&["ingest"]).code, 3);
    assert_eq!(
        query_rows(&d, "select suggestion_id from suggestions order by 1"),
        vec![vec!["Y6"], vec!["Y7"]]
    );
    let q = query_rows(
        &d,
        "select source_line, column, reason from quarantine order by source_line",
    );
    let expect = [
        ("2", "closed_at", "impossible_history"),
        ("3", "status", "impossible_history"),
        ("4", "status", "impossible_history"),
        ("5", "deadline", "impossible_history"),
        ("6", "suggestion_id", "conflicting_rows"),
        ("7", "suggestion_id", "conflicting_rows"),
        ("9", "suggestion_id", "duplicate"),
    ];
    let expect: Vec<Vec<String>> = expect
        .iter()
        .map(|(a, b, c)| vec![a.to_string(), b.to_string(), c.to_string()])
        .collect();
    assert_eq!(q, expect);
    let detail = query_rows(
        &d,
        "select detail from quarantine where reason = 'conflicting_rows' limit 1",
    );
    assert!(detail[0][0].contains("lines 6, 7"), "{detail:?}");
}

#[test]
fn hidden_sheets_rows_and_formula_cells_are_not_counted() {
    use rust_xlsxwriter::{Formula, Workbook};
    let d = keyed_one_subject();
    let mut book = Workbook::new();
    let fill = |ws: &mut rust_xlsxwriter::Worksheet, prefix: &str, n: u32, rating: &str| {
        write_row(ws, 0, &PLAIN_COLUMNS);
        for i in 1..=n {
            write_row(ws, i, &plain_row(&format!("{prefix}{i}"), rating));
        }
    };
    let ws = book.add_worksheet().set_name("评议").unwrap();
    fill(ws, "V", 7, "不满意");
    // Rows 4 and 5 of the seven (Excel rows 5, 6) are hidden and say 满意.
    for row in [4, 5] {
        ws.write_string(row, 6, "满意").unwrap();
        ws.set_row_hidden(row).unwrap();
    }
    // Row 6 (Excel 7): a formula whose cached result contradicts it;
    // row 7 (Excel 8): a constant formula equal to its result.
    ws.write_formula(6, 6, Formula::new("=\"不满意\"").set_result("满意"))
        .unwrap();
    ws.write_formula(7, 6, Formula::new("=\"满意\"").set_result("满意"))
        .unwrap();
    let hidden = book.add_worksheet().set_name("隐藏").unwrap();
    fill(hidden, "H", 30, "满意");
    hidden.set_hidden(true);
    let very = book.add_worksheet().set_name("深藏").unwrap();
    fill(very, "W", 20, "满意");
    very.set_very_hidden(true);
    book.save(d.join("in/ratings.xlsx")).unwrap();
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("hidden sheets not read: `隐藏`, `深藏`"),
        "{}",
        r.stdout
    );
    assert_eq!(
        query_rows(
            &d,
            "select rating, count(*) from ratings group by rating order by 1"
        ),
        vec![vec!["不满意", "3"], vec!["满意", "1"]]
    );
    assert_eq!(
        query_rows(&d, "select source_line, reason from quarantine order by 1"),
        vec![
            vec!["5", "hidden_row"],
            vec!["6", "hidden_row"],
            vec!["7", "formula_cell"]
        ]
    );
    let message = query_rows(&d, "select message from batches");
    assert!(
        message.iter().any(|m| m[0].contains("`深藏`")),
        "{message:?}"
    );
}

/// A workbook of one sheet whose `sheet1.xml` is `sheet_data` inside
/// `<sheetData>`, written part by part (rust_xlsxwriter refuses what
/// Excel would).
fn raw_workbook(path: &std::path::Path, sheet_data: &str) {
    use std::io::Write;
    let parts = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="评议" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
        ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#)),
    ];
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for (name, text) in parts {
        zip.start_file(name, opts).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

fn inline_row(r: u32, cells: &[&str]) -> String {
    let cells: String = cells
        .iter()
        .enumerate()
        .map(|(c, v)| {
            let col = (b'A' + c as u8) as char;
            format!(r#"<c r="{col}{r}" t="inlineStr"><is><t>{v}</t></is></c>"#)
        })
        .collect();
    format!(r#"<row r="{r}">{cells}</row>"#)
}

#[test]
fn an_overlong_cell_or_a_sheet_over_the_limit_refuses_the_workbook_by_name() {
    let d = keyed_one_subject();
    let heads = [&PLAIN_COLUMNS[..], &["意见建议"]].concat();
    let long = "长".repeat(40_000);
    let data = [
        inline_row(1, &heads),
        inline_row(2, &[&plain_row("Q1", "满意")[..], &[&long]].concat()),
    ]
    .concat();
    raw_workbook(&d.join("in/long.xlsx"), &data);
    // Far past any cell: stopped while streaming, never read whole.
    let huge = "x".repeat(20 << 20);
    let data = [
        inline_row(1, &heads),
        inline_row(2, &[&plain_row("Q2", "满意")[..], &[&huge]].concat()),
    ]
    .concat();
    raw_workbook(&d.join("in/huge.xlsx"), &data);
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    let line = |name: &str| line_naming(&r.stdout, name);
    assert!(
        line("long.xlsx")
            .contains("sheet `评议`, row 2, column 8: the cell holds more than 32767 characters"),
        "{}",
        r.stdout
    );
    assert!(
        line("huge.xlsx")
            .contains("sheet `评议`, row 2, holds a text longer than 32767 characters"),
        "{}",
        r.stdout
    );
    // A sheet over ingest.max_sheet_bytes.
    let d = keyed_one_subject();
    let cfg = std::fs::read_to_string(d.join("pingyi.toml")).unwrap();
    d.write(
        "pingyi.toml",
        &format!("{cfg}[ingest]\nmax_sheet_bytes = 1000\n"),
    );
    let mut data = inline_row(1, &heads);
    for i in 2..40 {
        let id = format!("Q{i}");
        let row = [&plain_row(&id, "满意")[..], &[""]].concat();
        data.push_str(&inline_row(i, &row));
    }
    raw_workbook(&d.join("in/big.xlsx"), &data);
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("sheet `评议` decompresses to more than ingest.max_sheet_bytes (1000 bytes)"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_overlong_csv_line_is_refused_as_too_long_with_the_limit() {
    let d = keyed_one_subject();
    // A first line of 9 MB of Chinese (no header row at all).
    d.write("in/chinese.csv", &"评".repeat(3 << 20));
    // A 20 MB line of ASCII after the header.
    let mut text = String::from(HEAD);
    text.push_str(&"a".repeat(20 << 20));
    text.push('\n');
    d.write("in/ascii.csv", &text);
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    for (name, line) in [("chinese.csv", 1), ("ascii.csv", 2)] {
        let l = r.stdout.lines().find(|l| l.contains(name)).unwrap();
        assert!(
            l.contains(&format!("line {line} has no line end"))
                && l.contains("a line may hold at most 8 MiB"),
            "{l}"
        );
    }
}

#[test]
fn a_period_column_contradicting_the_date_is_quarantined() {
    let d = keyed_one_subject();
    let head = "问卷编号,被评议对象编号,评议日期,评议期次,评议人类别,评议方式,评议途径,评价\n";
    let body = "Q1,ZZ0001,2012-09-03,2013Q1,普通群众,群众测评,问卷,满意\nQ2,ZZ0001,2012-09-03,2012Q3,普通群众,群众测评,问卷,满意\nQ3,ZZ0001,2012-09-03,2012年第三季度,普通群众,群众测评,问卷,满意\nQ4,ZZ0001,2012-09-03,第一次评议,普通群众,群众测评,问卷,满意\n";
    d.write("in/ratings.csv", &format!("{head}{body}"));
    assert_eq!(d.run(&["ingest"]).code, 3);
    assert_eq!(
        query_rows(&d, "select response_id, period from ratings order by 1"),
        vec![
            vec!["Q2", "2012Q3"],
            vec!["Q3", "2012Q3"],
            vec!["Q4", "2012Q3"]
        ]
    );
    assert_eq!(
        query_rows(
            &d,
            "select source_line, column, reason, value from quarantine"
        ),
        vec![vec!["2", "period", "bad_date", "2013Q1"]]
    );
}
