//! `pingyi generate`: determinism, the seed's headline figures recomputed
//! from the written files (not from the generator's own counts), coverage of
//! every dimension, and the planted faults where the answer key says.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use calamine::{open_workbook, Data, Reader, Xlsx};

use crate::util::{split_csv, Dir};

/// Reads a CSV file in UTF-8 (with or without BOM) or GB18030 into rows,
/// with a small quote-aware splitter independent of pingyi's code.
fn read_csv(path: &Path, gb18030: bool) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let text = if gb18030 {
        let (t, _, errors) = encoding_rs::GB18030.decode(&bytes);
        assert!(!errors, "{} is not GB18030", path.display());
        t.into_owned()
    } else {
        String::from_utf8(bytes)
            .unwrap()
            .trim_start_matches('\u{feff}')
            .to_string()
    };
    text.lines().map(split_csv).collect()
}

/// (sheet, excel row number, row cells as text) for every sheet of a workbook.
fn read_xlsx(path: &Path) -> Vec<(String, u64, Vec<String>)> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        let first = range.start().map_or(0, |s| s.0);
        for (i, row) in range.rows().enumerate() {
            let cells = row
                .iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => f.to_string(),
                    Data::Int(n) => n.to_string(),
                    Data::DateTime(d) => d.as_f64().to_string(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect();
            out.push((name.clone(), u64::from(first) + i as u64 + 1, cells));
        }
    }
    out
}

struct Key {
    rows: Vec<BTreeMap<String, String>>,
}

impl Key {
    fn read(dir: &Path) -> Key {
        let rows = read_csv(&dir.join("EXPECTED-DEFECTS.csv"), false);
        let header = rows[0].clone();
        Key {
            rows: rows[1..]
                .iter()
                .map(|r| header.iter().cloned().zip(r.iter().cloned()).collect())
                .collect(),
        }
    }

    /// Lines of `file` (and sheet) holding planted faulty rows (not personal data, which is valid).
    fn faulty(&self, file: &str) -> BTreeSet<(String, u64)> {
        self.rows
            .iter()
            .filter(|r| r["file"] == file && !r["defect"].starts_with("pii"))
            .map(|r| (r["sheet"].clone(), r["line"].parse().unwrap()))
            .collect()
    }
}

fn find(dir: &Path, pattern: &str) -> std::path::PathBuf {
    std::fs::read_dir(dir.join("inbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().contains(pattern))
        .unwrap_or_else(|| panic!("no file with {pattern} in {}", dir.display()))
}

fn satisfied(label: &str) -> Option<bool> {
    match label.trim() {
        "满意" | "非常满意" | "基本满意" | "比较满意" => Some(true),
        "不满意" | "不太满意" => Some(false),
        "不了解" | "不清楚" => None,
        other => panic!("unexpected label {other}"),
    }
}

fn hashes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in ["", "inbox"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                out.insert(
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn same_seed_same_bytes_other_seed_other_county() {
    let d = Dir::new();
    d.ok(&["generate", "--seed", "7", "--scale", "8000", "--out", "a"]);
    d.ok(&["generate", "--seed", "7", "--scale", "8000", "--out", "b"]);
    d.ok(&["generate", "--seed", "8", "--scale", "8000", "--out", "c"]);
    let (a, b, c) = (
        hashes(&d.join("a")),
        hashes(&d.join("b")),
        hashes(&d.join("c")),
    );
    assert_eq!(a.len(), 12, "{:?}", a.keys());
    for (name, bytes) in &a {
        assert!(
            b[name] == *bytes,
            "{name} differs between two runs with one seed"
        );
    }
    assert!(
        a.iter().any(|(n, bytes)| c[n] != *bytes),
        "seed 8 gave the same files as seed 7"
    );
    // No staging folder is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(d.join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        leftovers
            .iter()
            .all(|n| !n.to_string_lossy().starts_with(".generate")),
        "{leftovers:?}"
    );
}

/// The seed: 1977 people drawn at 2:7:1 per village, 187 suggestions, 94.65%;
/// 9200-odd people rating 3952 cadres by survey forms.
#[test]
fn default_scale_reproduces_the_seed_figures() {
    let d = Dir::new();
    d.ok(&["generate", "--out", "county"]);
    let dir = d.join("county");
    let key = Key::read(&dir);

    // Random draw (随机抽查), from the workbook, all sheets, faulty rows left out.
    let draw = find(&dir, "随机抽查");
    let draw_name = draw.file_name().unwrap().to_string_lossy().into_owned();
    let faulty = key.faulty(&draw_name);
    let rows = read_xlsx(&draw);
    let header = rows
        .iter()
        .find(|r| r.2.contains(&"问卷编号".to_string()))
        .unwrap()
        .2
        .clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (rater, cat, village, rating) = (
        col("评议人编号"),
        col("评议人类别"),
        col("评议人所在村(社区)"),
        col("评价"),
    );
    let data: Vec<&Vec<String>> = rows
        .iter()
        .filter(|(sheet, line, cells)| {
            *line > 2
                && !faulty.contains(&(sheet.clone(), *line))
                && !cells.iter().all(String::is_empty)
        })
        .map(|r| &r.2)
        .collect();
    let people: BTreeMap<&str, (&str, &str)> = data
        .iter()
        .map(|r| (r[rater].as_str(), (r[village].as_str(), r[cat].as_str())))
        .collect();
    assert_eq!(people.len(), 1977, "people in the random draw");
    let mut per_village: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for (v, c) in people.values() {
        *per_village.entry(v).or_default().entry(c).or_default() += 1;
    }
    for (v, counts) in &per_village {
        let n: u64 = counts.values().sum();
        for (c, w) in [("村组干部", 2.0), ("普通群众", 7.0), ("先锋户", 1.0)] {
            let got = *counts.get(c).unwrap_or(&0) as f64;
            assert!(
                (got - n as f64 * w / 10.0).abs() < 1.0,
                "{v}: {c} {got} of {n} is not 2:7:1 within rounding"
            );
        }
    }
    let valid: Vec<bool> = data.iter().filter_map(|r| satisfied(&r[rating])).collect();
    let rate = valid.iter().filter(|s| **s).count() as f64 / valid.len() as f64;
    assert_eq!(
        format!("{:.2}", rate * 100.0),
        "94.65",
        "random-draw satisfaction {rate}"
    );

    // 187 suggestions from the random draw, in the ledger.
    let ledger = read_xlsx(&find(&dir, "整改销号台账"));
    let lfaulty = key.faulty("整改销号台账.xlsx");
    let lheader = ledger
        .iter()
        .find(|r| r.2.contains(&"台账编号".to_string()))
        .unwrap()
        .2
        .clone();
    let method = lheader.iter().position(|h| h == "收集方式").unwrap();
    let from_draw = ledger
        .iter()
        .filter(|(s, l, c)| {
            *l > 2 && !lfaulty.contains(&(s.clone(), *l)) && c[method] == "随机抽查"
        })
        .count();
    assert_eq!(from_draw, 187);

    // Survey forms (测评表) in the GB18030 export: 9200-odd people, 3952 cadres.
    let forms = find(&dir, "测评表");
    let ffaulty = key.faulty(&forms.file_name().unwrap().to_string_lossy());
    let rows = read_csv(&forms, true);
    let h = &rows[0];
    let c = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (subject, rater, channel) = (c("被评议对象编号"), c("评议人编号"), c("评议途径"));
    let survey: Vec<&Vec<String>> = rows
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(i, r)| {
            !ffaulty.contains(&(String::new(), *i as u64 + 1)) && r[channel] == "测评表"
        })
        .map(|x| x.1)
        .collect();
    let raters: BTreeSet<&str> = survey.iter().map(|r| r[rater].as_str()).collect();
    let cadres: BTreeSet<&str> = survey.iter().map(|r| r[subject].as_str()).collect();
    assert!(
        (9201..9300).contains(&raters.len()),
        "{} survey raters",
        raters.len()
    );
    assert_eq!(cadres.len(), 3952);
    let roster = read_csv(&find(&dir, "评议对象名册"), false);
    let kinds: BTreeMap<&str, &str> = roster[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[2].as_str()))
        .collect();
    assert!(
        cadres.iter().all(|s| kinds.get(s) == Some(&"干部")),
        "survey forms rate cadres only"
    );
    assert_eq!(kinds.values().filter(|k| **k == "干部").count(), 3952);
}

#[test]
fn covers_every_org_type_rater_category_method_and_channel() {
    let d = Dir::new();
    d.ok(&["generate", "--scale", "20000", "--out", "c"]);
    let dir = d.join("c");
    let roster = read_csv(&find(&dir, "评议对象名册"), false);
    let org_types: BTreeSet<&str> = roster[1..].iter().map(|r| r[3].as_str()).collect();
    for t in ["农村", "机关", "学校", "社区", "企业", "医院", "社会组织"] {
        assert!(org_types.contains(t), "no {t} subjects");
    }
    let townships: BTreeSet<&str> = roster[1..].iter().map(|r| r[5].as_str()).collect();
    assert_eq!(townships.len(), 8, "eight townships: {townships:?}");

    let mut categories = BTreeSet::new();
    let mut methods = BTreeSet::new();
    let mut channels = BTreeSet::new();
    let mut periods = BTreeSet::new();
    let mut abstain = 0;
    for (pattern, gb) in [("测评表", true), ("民情恳谈", false)] {
        let rows = read_csv(&find(&dir, pattern), gb);
        let h = rows[0].clone();
        for r in &rows[1..] {
            for (name, cell) in h.iter().zip(r) {
                match name.as_str() {
                    "参评人员类别" | "评议人类别" => {
                        categories.insert(cell.trim().to_string());
                    }
                    "评议方式" => {
                        methods.insert(cell.clone());
                    }
                    "评议途径" => {
                        channels.insert(cell.clone());
                    }
                    "满意度" | "评价" if cell.trim() == "不了解" => abstain += 1,
                    "测评日期" | "评议日期" => {
                        periods.insert(cell.split(['年', '/']).next().unwrap().to_string());
                    }
                    _ => {}
                }
            }
        }
    }
    for r in read_xlsx(&find(&dir, "随机抽查")) {
        methods.insert(r.2.get(7).cloned().unwrap_or_default());
        channels.insert(r.2.get(8).cloned().unwrap_or_default());
    }
    let device = std::fs::read_to_string(find(&dir, "评价器")).unwrap();
    assert!(device.lines().count() > 100 && device.lines().all(|l| l.starts_with("{\"vote_id\"")));
    channels.insert("评价器".into());
    for c in [
        "两代表一委员",
        "服务对象",
        "村组干部",
        "老党员",
        "企业代表",
        "致富带头人",
        "普通群众",
        "离退休老干部",
        "先锋户",
    ] {
        assert!(categories.contains(c), "no ratings by {c}: {categories:?}");
    }
    for m in ["民情恳谈", "随机抽查", "群众测评"] {
        assert!(methods.contains(m), "no {m}: {methods:?}");
    }
    for c in [
        "评议会",
        "座谈会",
        "测评表",
        "问卷",
        "访谈",
        "评价器",
        "网络",
    ] {
        assert!(channels.contains(c), "no {c}: {channels:?}");
    }
    assert!(abstain > 50, "abstentions (不了解): {abstain}");
    assert_eq!(
        periods,
        BTreeSet::from(["2011".to_string(), "2012".to_string()])
    );
}

#[test]
fn planted_faults_are_where_the_key_says() {
    let d = Dir::new();
    d.ok(&["generate", "--scale", "20000", "--out", "c"]);
    let dir = d.join("c");
    let key = Key::read(&dir);
    let kinds: BTreeSet<&str> = key.rows.iter().map(|r| r["defect"].as_str()).collect();
    for k in [
        "bad_date",
        "unknown_subject",
        "off_scale",
        "duplicate",
        "missing_required",
        "unknown_org_type",
        "unknown_category",
        "unknown_status",
        "pii_phone",
        "pii_id_number",
    ] {
        assert!(kinds.contains(k), "no planted {k}: {kinds:?}");
    }
    // Each CSV plant: the named line holds the named value in the named column.
    for r in key.rows.iter().filter(|r| r["file"].ends_with(".csv")) {
        let path = dir.join("inbox").join(&r["file"]);
        let rows = read_csv(&path, r["file"].contains("测评表"));
        let line: usize = r["line"].parse().unwrap();
        let row = &rows[line - 1];
        assert!(
            row.iter().any(|c| c == &r["value"]),
            "{}:{} does not hold {:?}: {row:?}",
            r["file"],
            line,
            r["value"]
        );
    }
    // Every rating file got all five kinds of faulty row.
    for pattern in ["测评表", "民情恳谈", "评价器", "随机抽查"] {
        let n = key
            .rows
            .iter()
            .filter(|r| r["file"].contains(pattern) && !r["defect"].starts_with("pii"))
            .count();
        assert_eq!(n, 5, "{pattern}");
    }
    // The duplicate repeats the row before it exactly.
    let talks = read_csv(&find(&dir, "民情恳谈"), false);
    let dup = key
        .rows
        .iter()
        .find(|r| r["file"].contains("民情恳谈") && r["defect"] == "duplicate")
        .unwrap();
    let line: usize = dup["line"].parse().unwrap();
    assert_eq!(talks[line - 1], talks[line - 2]);
    // Personal data planted in comments for the redaction tests.
    let all = std::fs::read(find(&dir, "民情恳谈")).unwrap();
    assert!(String::from_utf8_lossy(&all).contains("13800001234"));
    let forms = read_csv(&find(&dir, "测评表"), true);
    assert!(forms
        .iter()
        .flatten()
        .any(|c| c.contains("53252719830315001")));
}

#[test]
fn clean_mode_plants_nothing_and_bad_options_are_refused() {
    let d = Dir::new();
    d.ok(&["generate", "--scale", "5000", "--clean", "--out", "c"]);
    let key = read_csv(&d.join("c/EXPECTED-DEFECTS.csv"), false);
    assert_eq!(key.len(), 1, "only the header: {key:?}");
    let r = d.run(&["generate", "--quarters", "2", "--out", "x"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("--quarters must be at least 4"),
        "{}",
        r.stderr
    );
}

#[test]
fn committed_sample_data_is_what_the_generator_writes() {
    let d = Dir::new();
    d.ok(&["generate", "--seed", "2012", "--out", "s"]);
    let fresh = hashes(&d.join("s"));
    let committed = hashes(&crate::util::repo().join("sample-data"));
    for (name, bytes) in &fresh {
        assert!(committed.get(name) == Some(bytes), "sample-data/{name} is not what `pingyi generate --seed 2012 --out sample-data` writes; regenerate and commit it");
    }
    let extra: Vec<&String> = committed
        .keys()
        .filter(|n| !fresh.contains_key(*n) && *n != "README.md")
        .collect();
    assert!(
        extra.is_empty(),
        "files in sample-data the generator does not write: {extra:?}"
    );
}

/// The planted manipulation (issue 38) is added rows only: the county made
/// with `--no-manipulation` is the same but for them, and the answer key
/// says what was planted, which the files bear out.
#[test]
fn manipulation_is_added_rows_listed_in_expected_integrity() {
    let d = Dir::new();
    d.ok(&["generate", "--out", "m"]);
    d.ok(&["generate", "--no-manipulation", "--out", "c"]);
    let (m, c) = (d.join("m"), d.join("c"));
    let key = read_csv(&m.join("EXPECTED-INTEGRITY.csv"), false);
    assert_eq!(key.len(), 6, "header and five cases: {key:?}");
    assert_eq!(read_csv(&c.join("EXPECTED-INTEGRITY.csv"), false).len(), 1);
    // Appended to the survey forms and the device export: the clean file is
    // the start of the manipulated one, byte for byte.
    for pattern in ["测评表", "评价器"] {
        let (a, b) = (
            std::fs::read(find(&c, pattern)).unwrap(),
            std::fs::read(find(&m, pattern)).unwrap(),
        );
        assert!(b.len() > a.len() && b.starts_with(&a), "{pattern}");
    }
    let visits = |dir: &Path| read_csv(&find(dir, "入户走访"), false);
    let (clean, all) = (visits(&c), visits(&m));
    let set: BTreeSet<&Vec<String>> = all.iter().collect();
    assert!(clean.iter().all(|r| set.contains(r)), "nothing altered");
    // The method-effect plant, from the file: the cadre's self-collected
    // forms (采集人 = his own name) and the follow-up draw of him.
    let case = key.iter().find(|r| r[0] == "method_effect").unwrap();
    let h = &all[0];
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (subject, name, method, rating, collector) = (
        col("被评议对象编号"),
        col("被评议对象"),
        col("评议方式"),
        col("满意度"),
        col("采集人"),
    );
    let count = |pick: &dyn Fn(&Vec<String>) -> bool| {
        let rows: Vec<&Vec<String>> = all[1..].iter().filter(|r| pick(r)).collect();
        let sat = rows
            .iter()
            .filter(|r| satisfied(&r[rating]) == Some(true))
            .count();
        (rows.len(), sat)
    };
    assert_eq!(
        count(&|r| r[subject] == case[3] && r[collector] == r[name]),
        (50, 49)
    );
    assert_eq!(
        count(&|r| r[subject] == case[3] && r[method] == "随机抽查"),
        (50, 31)
    );
    // The straight-liner: every item of his forms 满意.
    let liner = key.iter().find(|r| r[0] == "straight_lining").unwrap();
    let (n, top) = count(&|r| r[collector] == liner[2]);
    assert_eq!((n, top), (120, 120), "40 three-item forms, all satisfied");
    assert_eq!(
        all[1..]
            .iter()
            .filter(|r| r[collector] == liner[2] && r[rating] == "满意")
            .count(),
        120,
        "every item at the top level"
    );
}
