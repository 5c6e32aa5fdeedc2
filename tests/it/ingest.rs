//! `pingyi ingest` and `pingyi query`: every format of the sample data, each
//! planted fault quarantined at its line, idempotent re-runs, crash safety,
//! foreign schemas through a mapping, file-level refusals, privacy.

use std::collections::BTreeSet;
use std::path::Path;

use crate::util::{
    line_naming, plain_row, repo, split_csv, tree, write_row, Dir, Run, PLAIN_COLUMNS, PLAIN_HEAD,
};

const KEY: &str = "[privacy]\nrater_key = \"test-key\"\n";

/// A folder whose pingyi.toml reads the committed sample data and writes a
/// warehouse of its own.
fn county() -> Dir {
    let d = Dir::new();
    let inbox = repo().join("sample-data/inbox");
    d.write(
        "pingyi.toml",
        &format!(
            "[paths]\ninbox = {:?}\nwarehouse = \"wh\"\n{KEY}\n{}",
            inbox.display().to_string(),
            device_source()
        ),
    );
    d
}

/// An empty inbox `in/` with the repository's device mapping.
fn device_dir() -> Dir {
    let d = refused_file_dir();
    d.write(
        "pingyi.toml",
        &format!(
            "[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\n{KEY}\n{}",
            device_source()
        ),
    );
    d
}

fn device_source() -> String {
    let root = std::fs::read_to_string(repo().join("pingyi.toml")).unwrap();
    root[root.find("[sources.evaluation_device]").unwrap()..].to_string()
}

fn query(d: &Dir, sql: &str) -> Vec<Vec<String>> {
    let r = d.ok(&["query", "--format", "csv", sql]);
    r.stdout.lines().skip(1).map(split_csv).collect()
}

/// The quarantined ratings as (line, reason), in line order.
fn rating_faults(d: &Dir) -> Vec<Vec<String>> {
    query(
        d,
        "select source_line, reason from quarantine where kind = 'ratings' order by source_line",
    )
}

fn one(d: &Dir, sql: &str) -> String {
    query(d, sql)[0][0].clone()
}

#[test]
fn the_sample_data_ingests_and_every_planted_fault_is_quarantined_at_its_line() {
    let d = county();
    let r = d.run(&["ingest"]);
    assert_eq!(
        r.code, 3,
        "quarantined rows give exit 3: {}{}",
        r.stdout, r.stderr
    );
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| l.starts_with("ingested"))
            .count(),
        8,
        "{}",
        r.stdout
    );

    let key = std::fs::read_to_string(repo().join("sample-data/EXPECTED-DEFECTS.csv")).unwrap();
    let expected: BTreeSet<(String, String, String, String, String)> = key
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
        .filter(|f| !f[5].starts_with("pii"))
        .map(|f| {
            (
                f[0].clone(),
                f[1].clone(),
                f[2].clone(),
                f[3].clone(),
                f[5].clone(),
            )
        })
        .collect();
    let got: BTreeSet<(String, String, String, String, String)> = query(
        &d,
        "select source_file, sheet, source_line, \"column\", reason from quarantine",
    )
    .into_iter()
    .map(|r| {
        (
            Path::new(&r[0])
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
            r[1].clone(),
            r[2].clone(),
            r[3].clone(),
            r[4].clone(),
        )
    })
    .collect();
    assert_eq!(got, expected);

    // The seed's figures, now from the warehouse: the campaign's draw rated
    // the villages' party organizations (ZZ…), the follow-up draw of
    // cadres in the household-visit export is apart.
    assert_eq!(
        one(
            &d,
            "select count(distinct rater_key) from ratings where method = '随机抽查' and subject_id like 'ZZ%'"
        ),
        "1977"
    );
    let rate: f64 = one(&d, "select sum(case when satisfied then 1 else 0 end) * 1.0 / sum(case when valid then 1 else 0 end) from ratings where method = '随机抽查' and subject_id like 'ZZ%'").parse().unwrap();
    assert_eq!(format!("{:.2}", rate * 100.0), "94.65");
    assert_eq!(
        one(
            &d,
            "select count(distinct subject_id) from ratings where channel = '测评表'"
        ),
        "3952"
    );
    let people: u32 = one(
        &d,
        "select count(distinct rater_key) from ratings where channel = '测评表'",
    )
    .parse()
    .unwrap();
    assert!((9201..9300).contains(&people), "{people}");
    assert_eq!(
        one(
            &d,
            "select count(*) from suggestions where source_method = '随机抽查'"
        ),
        "187"
    );
    // Dates from every written form landed in the right periods.
    assert_eq!(one(&d, "select count(distinct period) from ratings"), "8");
    assert_eq!(
        one(
            &d,
            "select count(*) from ratings where rated_at is null or period is null"
        ),
        "0"
    );
    // The quarantine CSV opens in Excel (BOM) and names the fix.
    let csv = std::fs::read(d.join("wh/quarantine_csv/b000001.csv")).unwrap();
    assert!(csv.starts_with("\u{feff}".as_bytes()));
    assert!(
        String::from_utf8_lossy(&csv).contains("is not a date that exists; write it as 2012-09-03")
    );
}

#[test]
fn ingesting_the_same_files_again_changes_nothing() {
    let d = county();
    d.run(&["ingest"]);
    let before = tree(&d.join("wh"));
    let r = d.ok(&["ingest"]);
    assert!(r.stdout.contains("nothing new to ingest"), "{}", r.stdout);
    assert_eq!(r.stdout.matches("already ingested").count(), 8);
    assert!(
        tree(&d.join("wh")) == before,
        "the warehouse changed on a re-run"
    );
}

/// Every table's content, ordered, without the commit time.
fn contents(d: &Dir) -> Vec<String> {
    [
        "ratings",
        "subjects",
        "raters",
        "suggestions",
        "suggestions_history",
        "quarantine",
    ]
    .iter()
    .map(|t| {
        d.ok(&[
            "query",
            "--format",
            "csv",
            &format!(
                "select * from {t} order by source_file, source_line{}",
                if *t == "quarantine" { ", sheet" } else { "" }
            ),
        ])
        .stdout
    })
    .chain([d
        .ok(&[
            "query",
            "--format",
            "csv",
            "select batch_id, file, status, rows, accepted, quarantined from batches order by file",
        ])
        .stdout])
    .collect()
}

#[test]
fn a_batch_killed_midway_then_rerun_equals_one_clean_run() {
    let clean = county();
    clean.run(&["ingest"]);
    let want = contents(&clean);
    for fault in ["after-ratings-file", "before-manifest"] {
        let d = county();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingyi"))
            .args(["ingest"])
            .current_dir(d.path())
            .env("PINGYI_FAULT", fault)
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "{fault}: the fault point was not reached"
        );
        // Nothing of the killed batch is visible.
        assert_eq!(one(&d, "select count(*) from ratings"), "0", "{fault}");
        d.run(&["ingest"]);
        assert!(
            contents(&d) == want,
            "{fault}: the re-run differs from a clean run"
        );
        // The killed batch's orphan files were cleaned up.
        let files: Vec<String> = tree(&d.join("wh"))
            .into_iter()
            .map(|f| f.0)
            .filter(|f| f.ends_with(".parquet"))
            .collect();
        let listed = std::fs::read_to_string(d.join("wh/MANIFEST.json")).unwrap();
        assert!(
            files.iter().all(|f| listed.contains(f.as_str())),
            "{fault}: unlisted files remain: {files:?}"
        );
    }
}

fn refused_file_dir() -> Dir {
    let d = county();
    d.write(
        "pingyi.toml",
        &format!("[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\n{KEY}"),
    );
    std::fs::create_dir(d.join("in")).unwrap();
    std::fs::copy(
        repo().join("sample-data/inbox/评议对象名册.csv"),
        d.join("in/roster.csv"),
    )
    .unwrap();
    d
}

fn ingest_one(d: &Dir, name: &str, bytes: &[u8]) -> Run {
    std::fs::write(d.join("in").join(name), bytes).unwrap();
    d.run(&["ingest"])
}

#[test]
fn file_level_problems_refuse_the_file_and_the_others_go_on() {
    let d = refused_file_dir();
    std::fs::write(d.join("in/empty.csv"), b"").unwrap();
    std::fs::write(
        d.join("in/bad-bytes.csv"),
        b"\xe9\x97\xae\xe5\x8d\xb7\xe7\xbc\x96\xe5\x8f\xb7,x\nA,1\nB,\xff\xff\n",
    )
    .unwrap();
    std::fs::write(d.join("in/no-rating.csv"), "问卷编号,被评议对象编号,评议日期,评议人类别,评议方式,评议途径\nQ1,ZZ0001,2012-09-03,普通群众,群众测评,问卷\n").unwrap();
    std::fs::write(d.join("in/fake.xlsx"), b"this is not a workbook").unwrap();
    // Two columns meaning the rating, and they disagree: which is it?
    std::fs::write(d.join("in/two-ratings.csv"), "问卷编号,被评议对象编号,评议日期,评议人类别,评议方式,评议途径,评价,满意度\nQ1,ZZ0001,2012-09-03,普通群众,群众测评,问卷,满意,不满意\n").unwrap();
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    let line = |name: &str| line_naming(&r.stdout, name);
    assert!(
        line("empty.csv").contains("refused") && line("empty.csv").contains("empty"),
        "{}",
        r.stdout
    );
    assert!(
        line("bad-bytes.csv").contains("line 3") && line("bad-bytes.csv").contains("FF FF"),
        "{}",
        line("bad-bytes.csv")
    );
    let nr = line("no-rating.csv");
    assert!(
        nr.contains("refused")
            && nr.contains("rating (评价)")
            && nr.contains("found headers: 问卷编号"),
        "{nr}"
    );
    assert!(
        line("fake.xlsx").contains("not a readable spreadsheet"),
        "{}",
        r.stdout
    );
    assert!(
        line("two-ratings.csv").contains(
            "refused   in/two-ratings.csv: columns 7 (评价) and 8 (满意度) both mean rating: delete or rename one of them"
        ),
        "{}",
        r.stdout
    );
    assert!(line("roster.csv").starts_with("ingested"), "{}", r.stdout);
    // Refused files are recorded, and nothing of them is in any table.
    assert_eq!(
        one(&d, "select count(*) from batches where status = 'refused'"),
        "5"
    );
    assert_eq!(one(&d, "select count(*) from ratings"), "0");
}

#[test]
fn a_foreign_export_ingests_through_a_source_mapping() {
    let d = refused_file_dir();
    let english = "Form No,Unit Code,Date,Respondent Type,Method,Channel,Topic,Score\nE1,ZZ0001,2012-09-03,Public,Talk,Survey,overall,High\nE2,ZZ0001,03/09/2012x,Public,Talk,Survey,overall,Medium\nE3,ZZ0002,2012-9-4,Public,Talk,Survey,overall,Low\nE4,ZZ0002,2012-9-4,Public,Talk,Survey,overall,Excellent\n";
    std::fs::write(d.join("in/english.csv"), english).unwrap();
    // Without a mapping the file is refused, naming what is missing.
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 4);
    assert!(
        r.stdout.contains("english.csv") && r.stdout.contains("cannot tell what this file holds"),
        "{}",
        r.stdout
    );
    let mapping = r#"
[sources.english]
files = ["english*.csv"]
kind = "ratings"
[sources.english.columns]
response_id = "Form No"
subject_id = "Unit Code"
rated_at = "Date"
rater_category = "Respondent Type"
method = "Method"
channel = "Channel"
item = "Topic"
rating = "Score"
[sources.english.scale]
High = "满意"
Medium = "基本满意"
Low = "不满意"

[[rater_categories]]
name = "普通群众"
aliases = ["Public"]
[[rater_categories]]
name = "两代表一委员"
[[rater_categories]]
name = "服务对象"
[[rater_categories]]
name = "村组干部"
[[rater_categories]]
name = "老党员"
[[rater_categories]]
name = "企业代表"
[[rater_categories]]
name = "致富带头人"
[[rater_categories]]
name = "离退休老干部"
[[rater_categories]]
name = "先锋户"

[[methods]]
name = "民情恳谈"
aliases = ["Talk"]
[[methods]]
name = "随机抽查"
[[methods]]
name = "群众测评"

[[channels]]
name = "问卷"
aliases = ["Survey"]
"#;
    d.write(
        "pingyi.toml",
        &format!("[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\n{KEY}{mapping}"),
    );
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(
            &d,
            "select response_id, rating, satisfied from ratings order by response_id"
        ),
        vec![vec!["E1", "满意", "true"], vec!["E3", "不满意", "false"]]
    );
    assert_eq!(query(&d, "select source_line, reason, value from quarantine where kind = 'ratings' order by source_line"), vec![vec!["3", "bad_date", "03/09/2012x"], vec!["5", "off_scale", "Excellent"]]);
}

#[test]
fn dates_in_every_typed_form_encodings_titles_and_quoted_newlines() {
    let d = refused_file_dir();
    let text = "泸西县群众满意度测评汇总\n\
问卷编号\t被评议对象编号\t评议日期\t评议人类别\t评议方式\t评议途径\t评价\t意见建议\n\
A1\tZZ0001\t2012-09-03\t普通群众\t群众测评\t问卷\t满意\t\n\
A2\tZZ0001\t2012/9/3\t群众\t群众测评\t问卷\t比较满意\t\"有两行\n的意见\"\n\
A3\tZZ0001\t2012.9.3\t普通群众\t群众测评\t问卷\t 不满意 \t\n\
\n\
A4\tZZ0001\t2012年9月3日\t普通群众\t群众测评\t问卷\t不了解\t\n\
A5\tZZ0001\t41155\t普通群众\t群众测评\t问卷\t满意\t\n\
A6\tZZ0001\t2012-09-03 14:30:00\t普通群众\t群众测评\t问卷\t满意\t\n\
A7\tZZ0001\t2012-9-31\t普通群众\t群众测评\t问卷\t满意\t\n";
    let (gb, _, _) = encoding_rs::GB18030.encode(text);
    let r = ingest_one(&d, "手工录入.tsv", &gb);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let rows = query(&d, "select response_id, cast(rated_at as varchar), period, rater_category, rating, source_line from ratings order by response_id");
    let want: Vec<Vec<&str>> = vec![
        vec!["A1", "2012-09-03", "2012Q3", "普通群众", "满意", "3"],
        vec!["A2", "2012-09-03", "2012Q3", "普通群众", "基本满意", "4"],
        vec!["A3", "2012-09-03", "2012Q3", "普通群众", "不满意", "6"],
        vec!["A4", "2012-09-03", "2012Q3", "普通群众", "不了解", "8"],
        vec!["A5", "2012-09-03", "2012Q3", "普通群众", "满意", "9"],
        vec!["A6", "2012-09-03", "2012Q3", "普通群众", "满意", "10"],
    ];
    assert_eq!(rows, want);
    assert_eq!(rating_faults(&d), vec![vec!["11", "bad_date"]]);
    assert_eq!(one(&d, "select count(*) from ratings where valid"), "5");
}

#[test]
fn rater_ids_are_stored_only_as_keyed_hashes() {
    let d = county();
    d.run(&["ingest"]);
    assert_eq!(
        one(
            &d,
            "select count(*) from ratings where rater_key like 'R0%' or rater_key like 'FW%'"
        ),
        "0"
    );
    assert_eq!(
        one(
            &d,
            "select min(length(rater_key)) from ratings where rater_key is not null"
        ),
        "32"
    );
    assert_eq!(
        one(&d, "select count(*) from raters where person_key like 'R%'"),
        "0"
    );
    // The roster and the ratings hash the same person to the same key.
    let linked: u32 = one(&d, "select count(distinct r.rater_key) from ratings r join raters p on r.rater_key = p.person_key where r.method = '随机抽查' and r.subject_id like 'ZZ%'").parse().unwrap();
    // The campaign's draw rated village party organizations; the county's
    // follow-up draw of cadres (the household-visit export) is apart.
    assert_eq!(linked, 1977);
    // Without a key, ids cannot be stored at all.
    let n = Dir::new();
    let inbox = repo().join("sample-data/inbox/参评人员名册.csv");
    n.write("pingyi.toml", "[paths]\nwarehouse = \"wh\"\n");
    let r = n.run(&["ingest", inbox.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("PINGYI_RATER_KEY"), "{}", r.stderr);
    assert_eq!(
        n.run(&["query", "select count(*) from raters"])
            .stdout
            .lines()
            .nth(2),
        Some("0")
    );
}

#[test]
fn a_later_ledger_row_updates_the_item_and_history_is_kept() {
    let d = refused_file_dir();
    let head = "台账编号,被评议对象编号,收集日期,收集方式,问题类别,意见建议内容,现场答复,整改措施,责任人,完成时限,整改状态,销号日期\n";
    ingest_one(&d, "台账1.csv", format!("{head}YJ1,ZZ0001,2012-03-01,民情恳谈,就业,培训,否,联系人社局,张三,2012-05-01,整改中,\n").as_bytes());
    let r = ingest_one(&d, "台账2.csv", format!("{head}YJ1,ZZ0001,2012-03-01,民情恳谈,就业,培训,否,联系人社局,张三,2012-05-01,已销号,2012-04-20\n").as_bytes());
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(
        query(
            &d,
            "select status, cast(closed_at as varchar) from suggestions"
        ),
        vec![vec!["已销号", "2012-04-20"]]
    );
    assert_eq!(
        query(
            &d,
            "select status from suggestions_history order by batch_id"
        ),
        vec![vec!["整改中"], vec!["已销号"]]
    );
}

#[test]
fn a_rating_already_in_the_warehouse_is_a_duplicate() {
    let d = refused_file_dir();
    let head = "问卷编号,被评议对象编号,评议日期,评议人类别,评议方式,评议途径,评价\n";
    ingest_one(
        &d,
        "a.csv",
        format!("{head}Q1,ZZ0001,2012-09-03,普通群众,群众测评,问卷,满意\n").as_bytes(),
    );
    let r = ingest_one(&d, "b.csv", format!("{head}Q2,ZZ0001,2012-09-03,普通群众,群众测评,问卷,满意\nQ1,ZZ0001,2012-09-04,普通群众,群众测评,问卷,不满意\n").as_bytes());
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(
        query(
            &d,
            "select source_file, source_line, reason from quarantine where kind = 'ratings'"
        ),
        vec![vec!["in/b.csv", "3", "duplicate"]]
    );
    assert!(
        one(&d, "select detail from quarantine where kind = 'ratings'")
            .contains("already in the warehouse (batch 1)")
    );
}

/// A repeat is found when its file or sheet ends and taken out of the
/// ratings already written: only the repeating row, even where another
/// sheet has a row at the same line, and the run files do not outlive the
/// batch.
#[test]
fn a_repeat_leaves_the_written_ratings_for_the_quarantine_and_nothing_else_does() {
    let d = refused_file_dir();
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, ids) in [("一", ["Q1", "Q2"]), ("二", ["Q3", "Q1"])] {
        let sheet = book.add_worksheet().set_name(name).unwrap();
        write_row(sheet, 0, &PLAIN_COLUMNS);
        for (r, id) in ids.iter().enumerate() {
            write_row(sheet, r as u32 + 1, &plain_row(id, "满意"));
        }
    }
    book.save(d.join("in/w.xlsx")).unwrap();
    let body = "问卷编号,被评议对象编号,评议日期,评议人类别,评议方式,评议途径,评价\n\
        Q3,ZZ0001,2012-09-05,普通群众,群众测评,问卷,满意\n\
        Q4,ZZ0001,2012-09-05,普通群众,群众测评,问卷,满意\n\
        Q4,ZZ0001,2012-09-06,普通群众,群众测评,问卷,不满意\n";
    let r = ingest_one(&d, "z.csv", body.as_bytes());
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(
            &d,
            "select source_file, sheet, source_line, reason, detail from quarantine \
             where kind = 'ratings' order by source_file, sheet, source_line"
        ),
        vec![
            vec![
                "in/w.xlsx",
                "二",
                "3",
                "duplicate",
                "问卷编号+被评议对象编号+item repeats line 2 of in/w.xlsx"
            ],
            vec![
                "in/z.csv",
                "",
                "2",
                "duplicate",
                "问卷编号+被评议对象编号+item repeats line 2 of in/w.xlsx"
            ],
            vec![
                "in/z.csv",
                "",
                "4",
                "duplicate",
                "问卷编号+被评议对象编号+item repeats line 3 of in/z.csv"
            ],
        ]
    );
    assert_eq!(
        query(
            &d,
            "select source_file, source_line, response_id from ratings \
             order by source_file, response_id"
        ),
        vec![
            vec!["in/w.xlsx", "2", "Q1"],
            vec!["in/w.xlsx", "3", "Q2"],
            vec!["in/w.xlsx", "2", "Q3"],
            vec!["in/z.csv", "3", "Q4"],
        ]
    );
    assert!(
        !d.join("wh/.dedupe").exists(),
        "the run files outlive the batch"
    );
}

/// Device exports are read in chunks of lines: a key first seen in a later
/// chunk is still mapped, a bad line and a repeat in a later chunk keep
/// their lines, and a line that is not UTF-8 after the first chunk still
/// refuses the whole file with nothing of it kept.
#[test]
fn a_long_device_export_reads_the_same_in_chunks() {
    let d = device_dir();
    let vote = |id: usize| {
        format!("{{\"vote_id\":\"V{id}\",\"target_code\":\"ZZ0001\",\"ts\":\"2012-09-03 10:00:00\",\"button\":1}}\n")
    };
    let mut text: String = (1..=50_000).map(vote).collect();
    text.push_str("not json\n");
    text.push_str("{\"vote_id\":\"V50002\",\"target_code\":\"ZZ0001\",\"ts\":\"2012-09-03 10:00:00\",\"button\":3,\"remark\":\"路灯坏了\"}\n");
    text.push_str(&vote(1));
    std::fs::write(d.join("in/评价器_a.jsonl"), &text).unwrap();
    let mut broken = text.clone().into_bytes();
    broken.extend_from_slice(b"{\"vote_id\":\"\xff\"}\n");
    std::fs::write(d.join("in/评价器_b.jsonl"), &broken).unwrap();
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.contains("评价器_b.jsonl") && l.contains("line 50004")),
        "{}",
        r.stdout
    );
    assert_eq!(
        rating_faults(&d),
        vec![vec!["50001", "malformed_row"], vec!["50003", "duplicate"]]
    );
    assert_eq!(one(&d, "select count(*) from ratings"), "50001");
    assert_eq!(
        one(
            &d,
            "select comment from ratings where response_id = 'V50002'"
        ),
        "路灯坏了"
    );
}

/// Chunks of a device export are parsed on several threads, each under the
/// first chunk's keys: a chunk after one that brought a new key, and that
/// lacks it, is put under the file's keys again, with its faults on their
/// own lines.
#[test]
fn a_chunk_without_a_key_an_earlier_chunk_brought_reads_as_in_order() {
    let d = device_dir();
    let vote = |id: usize, button: u32| {
        format!("{{\"vote_id\":\"V{id}\",\"target_code\":\"ZZ0001\",\"ts\":\"2012-09-03 10:00:00\",\"button\":{button}}}\n")
    };
    let mut text: String = (1..=50_000).map(|i| vote(i, 1)).collect();
    text.push_str("{\"remark\":\"路灯坏了\",\"vote_id\":\"V50001\",\"target_code\":\"ZZ0001\",\"ts\":\"2012-09-03 10:00:00\",\"button\":3}\n");
    text.extend((50_002..=100_000).map(|i| vote(i, 2)));
    text.extend((100_001..=100_010).map(|i| vote(i, if i == 100_005 { 9 } else { 1 })));
    std::fs::write(d.join("in/评价器_c.jsonl"), &text).unwrap();
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert_eq!(rating_faults(&d), vec![vec!["100005", "off_scale"]]);
    assert_eq!(one(&d, "select count(*) from ratings"), "100009");
    assert_eq!(
        one(&d, "select count(*) from ratings where comment is not null"),
        "1"
    );
}

#[test]
fn query_errors_say_what_is_known() {
    let d = county();
    d.run(&["ingest"]);
    let r = d.run(&["query", "select * from rating"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("rating")
            && r.stderr.contains("known tables")
            && r.stderr.contains("ratings"),
        "{}",
        r.stderr
    );
    let r = d.ok(&[
        "query",
        "select township, count(*) as n from subjects group by township order by township limit 2",
    ]);
    assert!(
        r.stdout.contains("三塘乡") && r.stdout.contains("(2 rows)"),
        "{}",
        r.stdout
    );
}

#[test]
fn rows_of_the_wrong_shape_are_quarantined_not_dropped() {
    let d = refused_file_dir();
    let head = "问卷编号,被评议对象编号,评议日期,评议人类别,评议方式,评议途径,评价\n";
    let csv = format!("{head}Q1,ZZ0001,2012-09-03,普通群众,群众测评,问卷,满意,多出来的一列\nQ2,ZZ0001,2012-09-03,普通群众,群众测评,问卷\nQ3,ZZ0001,2012-09-03,普通群众,群众测评,问卷,满意\n");
    std::fs::write(d.join("in/shape.csv"), csv).unwrap();
    std::fs::write(
        d.join("in/device.jsonl"),
        "{\"vote_id\":\"D1\"\nnot json at all\n",
    )
    .unwrap();
    let r = d.run(&["ingest"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    let q = query(&d, "select source_file, source_line, reason from quarantine where kind = 'ratings' order by source_file, source_line");
    assert_eq!(
        q,
        vec![
            vec!["in/shape.csv", "2", "malformed_row"],
            vec!["in/shape.csv", "3", "missing_required"]
        ],
        "the too-wide row and the short row (its rating is missing)"
    );
    assert_eq!(one(&d, "select count(*) from ratings"), "1");
    // Two broken JSON lines: the file has no readable row, so it is refused whole.
    assert!(
        r.stdout.contains(
            "device.jsonl: no line is a JSON object (line 1: not a JSON object: EOF while parsing"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn a_stray_quote_quarantines_its_own_line_not_the_rows_after_it() {
    let d = refused_file_dir();
    let head = "问卷编号,被评议对象编号,评议日期,评议人类别,评议方式,评议途径,评价,意见建议\n";
    let row = |id: &str, note: &str| {
        format!("{id},ZZ0001,2012-09-03,普通群众,群众测评,问卷,满意,{note}\n")
    };
    // Line 3 opens a quote inside a field and line 5's quote would close
    // it: read as CSV, lines 3 to 5 are one record and Q3 is lost in it.
    // Each stray quote's line is set aside by itself instead. A quoted
    // field over two lines (line 7) is legitimate CSV and is kept; so is a
    // quote closed on its own line (line 9). Line 10's quote is never
    // closed.
    let csv = [
        head.to_string(),
        row("Q1", ""),
        row("Q2", "他说\"要修路"),
        row("Q3", ""),
        row("Q4", "好\"吧"),
        row("Q5", ""),
        row("Q6", "\"第一行\n第二行\""),
        row("Q7", "\"引号\"\"里\"\"的字\""),
        row("Q8", "没\"闭合"),
        row("Q9", ""),
    ]
    .concat();
    let r = ingest_one(&d, "quotes.csv", csv.as_bytes());
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        rating_faults(&d),
        vec![
            vec!["3", "malformed_row"],
            vec!["5", "malformed_row"],
            vec!["10", "malformed_row"]
        ]
    );
    let details = query(
        &d,
        "select detail from quarantine where kind = 'ratings' order by source_line",
    );
    let says = |i: usize, what: &str| {
        assert!(details[i][0].contains(what), "{what}: {}", details[i][0]);
    };
    says(0, "column 8 (意见建议): a quote opens a field");
    says(0, "would run over 3 lines, to line 5");
    says(0, "write a quote inside it as \"\"");
    // Line 5's quote pairs with line 7's, whose text runs on after it.
    says(1, "would run over 3 lines, to line 7");
    says(
        2,
        "is never closed, and would swallow every line to line 11",
    );
    assert_eq!(
        query(&d, "select response_id from ratings order by response_id"),
        vec![
            vec!["Q1"],
            vec!["Q3"],
            vec!["Q5"],
            vec!["Q6"],
            vec!["Q7"],
            vec!["Q9"]
        ]
    );
    // "第一行\n第二行": the quoted line break is part of the comment.
    assert_eq!(
        one(
            &d,
            "select length(comment) from ratings where response_id = 'Q6'"
        ),
        "7"
    );
    assert_eq!(
        one(&d, "select comment from ratings where response_id = 'Q7'"),
        "引号\"里\"的字"
    );
}

#[test]
fn one_sheet_a_forced_encoding_and_json_for_machines() {
    let d = refused_file_dir();
    d.run(&["ingest"]);
    let book = repo().join("sample-data/inbox/随机抽查评议_2012年第3季度.xlsx");
    let r = d.run(&[
        "ingest",
        book.to_str().unwrap(),
        "--sheet",
        "金马镇",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let file = &report["files"][0];
    assert_eq!(file["status"], "ingested");
    assert_eq!(file["kind"], "ratings");
    assert_eq!(
        file["quarantined"], 0,
        "the planted faults are on another sheet"
    );
    assert!(file["accepted"].as_u64().unwrap() > 100);
    assert_eq!(one(&d, "select count(*) from subjects s join (select distinct subject_id from ratings) r on s.subject_id = r.subject_id where s.township <> '金马镇'"), "0");
    let r = d.run(&["ingest", book.to_str().unwrap(), "--sheet", "没有这个表"]);
    assert!(
        r.stdout
            .contains("no sheet named `没有这个表`; the sheets are: 中枢镇, 金马镇"),
        "{}",
        r.stdout
    );
    // A GB18030 file forced to be read as UTF-8 is refused, naming the line.
    let (gb, _, _) = encoding_rs::GB18030.encode("问卷编号,被评议对象编号,评议日期,评议人类别,评议方式,评议途径,评价\nQ1,ZZ0001,2012-09-03,普通群众,群众测评,问卷,满意\n");
    std::fs::write(d.join("gb.csv"), &gb).unwrap();
    let r = d.run(&["ingest", "gb.csv", "--encoding", "utf-8"]);
    assert_eq!(r.code, 4);
    assert!(
        r.stdout.contains("line 1: bytes") && r.stdout.contains("not valid UTF-8"),
        "{}",
        r.stdout
    );
    let r = d.run(&["ingest", "gb.csv"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("[GB18030]"), "{}", r.stdout);
}

/// A quote that is never closed would make the rest of a large file one
/// record held in memory whole: 8–16 MiB on, the quote's line is set aside
/// and the lines after it are read as rows, as in a small file.
#[test]
fn a_quote_left_open_for_megabytes_sets_its_line_aside_and_reads_on() {
    let d = refused_file_dir();
    let mut csv = String::from(
        "问卷编号,被评议对象编号,评议日期,评议人类别,评议方式,评议途径,评价,意见建议\n",
    );
    csv.push_str("Q0,ZZ0001,2012-09-03,普通群众,群众测评,问卷,满意,\n");
    csv.push_str("Q1,ZZ0001,2012-09-03,普通群众,群众测评,问卷,满意,他说\"要修路\n");
    let mut i = 1;
    while csv.len() < 17 << 20 {
        i += 1;
        csv.push_str(&format!(
            "Q{i},ZZ0001,2012-09-03,普通群众,群众测评,问卷,满意,\n"
        ));
    }
    // A legitimate quoted field over two lines after it, in the last block.
    i += 1;
    csv.push_str(&format!(
        "Q{i},ZZ0001,2012-09-03,普通群众,群众测评,问卷,满意,\"第一行\n第二行\"\n"
    ));
    let r = ingest_one(&d, "open-quote.csv", csv.as_bytes());
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert_eq!(rating_faults(&d), vec![vec!["3", "malformed_row"]]);
    let detail = one(&d, "select detail from quarantine where kind = 'ratings'");
    assert!(
        detail.contains("column 8 (意见建议)") && detail.contains("is never closed"),
        "{detail}"
    );
    assert_eq!(one(&d, "select count(*) from ratings"), format!("{i}"));
    assert_eq!(
        one(
            &d,
            &format!("select length(comment) from ratings where response_id = 'Q{i}'")
        ),
        "7"
    );
    assert_eq!(
        one(&d, "select count(*) from batches where status = 'refused'"),
        "0"
    );
}

/// A CSV no earlier file has the size of is hashed while it is read; when a
/// later block refuses it, the hash must still be of the whole file, so the
/// next run knows it as refused before.
#[test]
fn a_file_refused_in_a_later_block_is_recorded_with_its_whole_hash() {
    use sha2::Digest;
    let d = refused_file_dir();
    let mut csv = String::from(PLAIN_HEAD);
    let mut i = 0;
    // Past the reader's first 8 MB block.
    while csv.len() < 9 << 20 {
        i += 1;
        csv.push_str(&format!(
            "Q{i:07},ZZ0001,2012-09-03,普通群众,群众测评,问卷,满意\n"
        ));
    }
    let mut bytes = csv.into_bytes();
    bytes.extend_from_slice(b"Q9999999,ZZ0001,2012-09-03,\xff\xfe,x,y,z\n");
    let r = ingest_one(&d, "late-bad-bytes.csv", &bytes);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    let line = format!("line {}", i + 2);
    assert!(r.stdout.contains(&line), "{line} not named:\n{}", r.stdout);
    let sha = pingyi::fsutil::hex(&sha2::Sha256::digest(&bytes));
    assert_eq!(
        one(&d, "select sha256 from batches where status = 'refused'"),
        sha
    );
    assert_eq!(one(&d, "select count(*) from ratings"), "0");
    let again = d.run(&["ingest"]);
    assert!(
        again.stdout.contains("already_refused") || again.stdout.contains("already refused"),
        "{}",
        again.stdout
    );
}
