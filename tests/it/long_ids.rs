//! Long ids that Excel turned into numbers: an ID card or 18-digit form
//! number typed into a cell not formatted as text keeps 15 significant
//! digits, so different raters or forms would be taken for one. Such an id
//! is quarantined with the fix, from a workbook (a number cell), a CSV
//! Excel saved (`4.10101E+17` as text) and a device's JSON (a float).

use crate::util::{county, csv_records, repo, Dir};

fn rows(d: &Dir, sql: &str) -> Vec<Vec<String>> {
    let out = d.ok(&["query", "--format", "csv", sql]).stdout;
    csv_records(&out).into_iter().skip(1).collect()
}

#[test]
fn an_id_excel_rounded_to_15_digits_is_quarantined_with_the_fix() {
    let d = county();
    d.write(
        "pingyi.toml",
        "[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\n[privacy]\nrater_key = \"test-key\"\n",
    );
    std::fs::create_dir(d.join("in")).unwrap();
    std::fs::copy(
        repo().join("sample-data/inbox/评议对象名册.csv"),
        d.join("in/roster.csv"),
    )
    .unwrap();
    let head = [
        "问卷编号",
        "被评议对象编号",
        "评议日期",
        "评议人类别",
        "评议人编号",
        "评议方式",
        "评议途径",
        "评价",
    ];
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in head.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    // Row 2: ids as text (kept). Row 3: an 18-digit rater id typed as a
    // number. Row 4: an 18-digit form number typed as a number. Row 5: a
    // short number id (1397), which Excel keeps whole.
    let rest = ["ZZ0001", "2012-09-03", "普通群众"];
    let tail = ["群众测评", "问卷", "满意"];
    for r in 1..=4u32 {
        for (c, v) in rest.iter().enumerate() {
            sheet.write_string(r, c as u16 + 1, *v).unwrap();
        }
        for (c, v) in tail.iter().enumerate() {
            sheet.write_string(r, c as u16 + 5, *v).unwrap();
        }
    }
    sheet.write_string(1, 0, "Q1").unwrap();
    sheet.write_string(1, 4, "410101198001011234").unwrap();
    sheet.write_string(2, 0, "Q2").unwrap();
    sheet.write_number(2, 4, 410101198001011234.0).unwrap();
    sheet.write_number(3, 0, 201207210001234567.0).unwrap();
    sheet.write_string(3, 4, "R2").unwrap();
    sheet.write_string(4, 0, "Q4").unwrap();
    sheet.write_number(4, 4, 1397.0).unwrap();
    book.save(d.join("in/hand.xlsx")).unwrap();
    d.write(
        "in/saved.csv",
        "问卷编号,被评议对象编号,评议日期,评议人类别,评议人编号,评议方式,评议途径,评价\n\
         S1,ZZ0001,2012-09-03,普通群众,4.10101E+17,群众测评,问卷,满意\n\
         S2,ZZ0001,2012-09-03,普通群众,2E3,群众测评,问卷,满意\n",
    );
    // A device's JSON: a float id is rounded, an integer one is exact
    // unless it is too long for 64 bits.
    let json = |id: &str, rater: &str| {
        format!("{{\"问卷编号\":\"{id}\",\"被评议对象编号\":\"ZZ0001\",\"评议日期\":\"2012-09-03\",\"评议人类别\":\"普通群众\",\"评议人编号\":{rater},\"评议方式\":\"群众测评\",\"评议途径\":\"问卷\",\"评价\":\"满意\"}}\n")
    };
    d.write(
        "in/device.jsonl",
        &[
            json("J1", "4.10101198001011e17"),
            json("J2", "410101198001011234"),
            json("J3", "12345678901234567890123"),
        ]
        .concat(),
    );
    d.write(
        "in/raters.csv",
        "人员编号,乡镇,村(社区),人员类别\n\
         P1,中枢镇,下平社区,两代表一委员\n\
         5.10101E+17,中枢镇,下平社区,两代表一委员\n",
    );
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let q = rows(
        &d,
        "select source_file, source_line, reason, \"column\", value, detail from quarantine \
         where kind = 'ratings' order by source_file, source_line",
    );
    let found: Vec<[&str; 4]> = q
        .iter()
        .map(|r| [r[0].as_str(), r[1].as_str(), r[2].as_str(), r[3].as_str()])
        .collect();
    assert_eq!(
        found,
        vec![
            ["in/device.jsonl", "1", "bad_value", "rater_id"],
            ["in/device.jsonl", "3", "bad_value", "rater_id"],
            ["in/hand.xlsx", "3", "bad_value", "rater_id"],
            ["in/hand.xlsx", "4", "bad_value", "response_id"],
            ["in/saved.csv", "2", "bad_value", "rater_id"],
            ["in/saved.csv", "3", "bad_value", "rater_id"],
        ],
        "{q:?}"
    );
    for row in &q {
        assert!(
            row[5].contains("scientific notation") && row[5].contains("format the column as text"),
            "{row:?}"
        );
    }
    assert_eq!(
        rows(
            &d,
            "select source_line, reason, \"column\" from quarantine where kind = 'raters'"
        ),
        vec![vec!["3", "bad_value", "person_id"]]
    );
    // The form number is shown as Excel shows it; a rater id only hashed.
    assert_eq!(q[3][4], "2.01207210001235E+17");
    assert!(q[2][4].starts_with("hmac:"), "{:?}", q[2]);
    assert_eq!(
        rows(&d, "select response_id from ratings order by response_id"),
        vec![vec!["J2"], vec!["Q1"], vec!["Q4"]]
    );
}
