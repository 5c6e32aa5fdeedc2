//! `pingyi sample`: the random draw of raters is reproducible whatever the
//! roster's row order or encoding, holds 2:7:1 per village within rounding,
//! reports shortfalls instead of substituting, allocates a total by largest
//! remainder, and its audit record re-derives the same list (`--check`),
//! which is also re-derived here from the rule the record states.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::util::{repo, split_csv, Dir};

const CONFIG: &str = "[privacy]\nrater_key = \"test\"\n";

fn list(d: &Dir, out: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(d.join(out).join("抽查名单.csv")).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("CSV starts with a BOM");
    text.lines().skip(1).map(split_csv).collect()
}

fn audit(d: &Dir, out: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(d.join(out).join("audit.json")).unwrap()).unwrap()
}

fn key(seed: u64, id: &str) -> String {
    Sha256::digest(format!("{seed}:{id}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_sample_roster_draws_the_same_list_in_any_row_order_and_encoding_at_2_7_1() {
    let d = Dir::new();
    d.write("pingyi.toml", CONFIG);
    let roster = repo().join("sample-data/inbox/参评人员名册.csv");
    let text = std::fs::read_to_string(&roster).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    let shuffled = format!("{header}\n{}\n", lines.join("\n"));
    let (gb, _, _) = encoding_rs::GB18030.encode(&shuffled);
    std::fs::write(d.join("reversed-gb18030.csv"), &gb).unwrap();

    let r = d.ok(&[
        "sample",
        "--roster",
        roster.to_str().unwrap(),
        "--seed",
        "2012",
        "--per-village",
        "10",
        "--out",
        "a",
    ]);
    assert!(r.stdout.contains("drew "), "{}", r.stdout);
    // The planted bad row (category 贫困户) is left out and said so.
    assert!(
        r.stderr
            .contains("line 12: category `贫困户` is not one of"),
        "{}",
        r.stderr
    );
    d.ok(&[
        "sample",
        "--roster",
        "reversed-gb18030.csv",
        "--seed",
        "2012",
        "--per-village",
        "10",
        "--out",
        "b",
    ]);
    assert_eq!(
        list(&d, "a"),
        list(&d, "b"),
        "row order and encoding change nothing"
    );
    d.ok(&[
        "sample",
        "--roster",
        roster.to_str().unwrap(),
        "--seed",
        "2013",
        "--per-village",
        "10",
        "--out",
        "c",
    ]);
    assert_ne!(list(&d, "a"), list(&d, "c"), "another seed, another draw");

    // 2:7:1 in every village, or a recorded shortfall.
    let a = audit(&d, "a");
    let mut drawn: BTreeMap<(String, String), [u64; 3]> = BTreeMap::new();
    for row in list(&d, "a") {
        let s = ["村组干部", "普通群众", "先锋户"]
            .iter()
            .position(|c| *c == row[3])
            .unwrap();
        drawn.entry((row[1].clone(), row[2].clone())).or_default()[s] += 1;
    }
    let villages = a["villages"].as_array().unwrap();
    assert_eq!(villages.len(), drawn.len());
    for v in villages {
        let k = (
            v["township"].as_str().unwrap().to_string(),
            v["village"].as_str().unwrap().to_string(),
        );
        let short: Vec<u64> = v["shortfall"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        for (s, want) in [2u64, 7, 1].iter().enumerate() {
            assert_eq!(drawn[&k][s] + short[s], *want, "{k:?}");
        }
    }
    assert_eq!(a["roster"]["excluded"].as_array().unwrap().len(), 1);

    // Re-derived here from the rule the audit record states: in one village,
    // the 7 普通群众 with the smallest SHA-256("2012:<id>").
    let (town, village) = drawn.keys().next().unwrap().clone();
    let mut pool: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(split_csv)
        .filter(|r| r[1] == town && r[2] == village && r[3] == "普通群众")
        .map(|r| (key(2012, &r[0]), r[0].clone()))
        .collect();
    pool.sort();
    let want: Vec<&String> = pool.iter().take(7).map(|p| &p.1).collect();
    let got: Vec<String> = list(&d, "a")
        .into_iter()
        .filter(|r| r[1] == town && r[2] == village && r[3] == "普通群众")
        .map(|r| r[5].clone())
        .collect();
    assert_eq!(got.iter().collect::<Vec<_>>(), want);

    // The workbook is there for the teams.
    assert!(d.join("a/抽查名单.xlsx").metadata().unwrap().len() > 1000);
}

#[test]
fn a_total_is_allocated_by_largest_remainder_and_short_strata_are_reported() {
    let d = Dir::new();
    d.write("pingyi.toml", CONFIG);
    let mut rows = vec!["人员编号,乡镇,村(社区),人员类别".to_string()];
    let mut add = |prefix: &str, village: &str, category: &str, n: usize| {
        for i in 0..n {
            rows.push(format!("{prefix}{i:03},甲镇,{village},{category}"));
        }
    };
    // 甲村 50 eligible, 乙村 30, 丙村 20 (3 普通群众, no 先锋户); 老党员 are
    // not in a stratum.
    add("A", "甲村", "村组干部", 10);
    add("B", "甲村", "普通群众", 35);
    add("C", "甲村", "先锋户", 5);
    add("D", "乙村", "村组干部", 6);
    add("E", "乙村", "普通群众", 21);
    add("F", "乙村", "先锋户", 3);
    add("G", "丙村", "村组干部", 17);
    add("H", "丙村", "普通群众", 3);
    add("J", "丙村", "老党员", 9);
    // Listed twice the same way: one person. Listed twice differently: left out.
    rows.push("B000,甲镇,甲村,普通群众".into());
    rows.push("K001,甲镇,乙村,普通群众".into());
    rows.push("K001,甲镇,丙村,普通群众".into());
    rows.push("K002,甲镇,,普通群众".into());
    d.write("roster.csv", &(rows.join("\n") + "\n"));
    let r = d.ok(&[
        "sample",
        "--roster",
        "roster.csv",
        "--seed",
        "7",
        "--total",
        "25",
        "--out",
        "t",
    ]);
    assert!(
        r.stderr
            .contains("丙村: short 村组干部 0, 普通群众 1, 先锋户 0"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("person listed differently on lines 112, 113"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("line 114: missing village"),
        "{}",
        r.stderr
    );
    let a = audit(&d, "t");
    let by_village: BTreeMap<&str, (&serde_json::Value, &serde_json::Value)> = a["villages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["village"].as_str().unwrap(), (&v["planned"], &v["drawn"])))
        .collect();
    // Villages in (township, village) order: 丙村 20, 乙村 30, 甲村 50 of 100.
    // 25 × those = 5, 7.5, 12.5 → 5, 7, 12 and one unit left, tied between
    // 乙村 and 甲村: the first, 乙村, gets it → 5, 8, 12.
    // Each split 2:7:1 — 丙村 5: 1, 3.5, 0.5 → 1, 3, 0 + one to the tie's
    // first (普通群众) → 1, 4, 0; 乙村 8: 1.6, 5.6, 0.8 → 1, 5, 0 + two
    // (先锋户 .8, then 村组干部 .6 before 普通群众 .6) → 2, 5, 1; 甲村 12:
    // 2.4, 8.4, 1.2 → 2, 8, 1 + one to 村组干部 → 3, 8, 1.
    assert_eq!(by_village["丙村"].0, &serde_json::json!([1, 4, 0]));
    assert_eq!(by_village["乙村"].0, &serde_json::json!([2, 5, 1]));
    assert_eq!(by_village["甲村"].0, &serde_json::json!([3, 8, 1]));
    assert_eq!(
        by_village["丙村"].1,
        &serde_json::json!([1, 3, 0]),
        "3 普通群众 in 丙村: all drawn, none substituted"
    );
    assert_eq!(a["totals"]["planned"], serde_json::json!([6, 17, 2]));
    assert_eq!(list(&d, "t").len(), 24);
}

#[test]
fn the_audit_record_rederives_the_list_and_catches_a_changed_one() {
    let d = Dir::new();
    d.write("pingyi.toml", CONFIG);
    let roster = repo().join("sample-data/inbox/参评人员名册.csv");
    d.ok(&[
        "sample",
        "--roster",
        roster.to_str().unwrap(),
        "--seed",
        "99",
        "--per-village",
        "10",
        "--out",
        "draw",
    ]);
    let r = d.ok(&["sample", "--check", "draw"]);
    assert!(r.stdout.contains("re-derives exactly"), "{}", r.stdout);

    // A swapped name on the list is caught, with its line.
    let path = d.join("draw/抽查名单.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let first = split_csv(text.lines().nth(1).unwrap())[5].clone();
    std::fs::write(&path, text.replacen(&first, "R999999", 1)).unwrap();
    let r = d.run(&["sample", "--check", "draw"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("is not the draw its audit record describes: line 2 differs"),
        "{}",
        r.stderr
    );

    // Another roster is refused by its hash.
    d.write(
        "other.csv",
        "人员编号,乡镇,村(社区),人员类别\nR1,甲镇,甲村,普通群众\n",
    );
    let r = d.run(&["sample", "--check", "draw", "--roster", "other.csv"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("is not the roster the draw used"),
        "{}",
        r.stderr
    );

    // Usage errors say what is missing.
    let r = d.run(&[
        "sample",
        "--roster",
        "other.csv",
        "--seed",
        "1",
        "--out",
        "x",
    ]);
    assert!(
        r.stderr.contains("--per-village N or --total N"),
        "{}",
        r.stderr
    );
    let r = d.run(&[
        "sample", "--roster", "nope.csv", "--seed", "1", "--total", "5", "--out", "x",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("nope.csv"), "{}", r.stderr);
    assert!(!d.join("x").exists(), "nothing written for a failed draw");
}
