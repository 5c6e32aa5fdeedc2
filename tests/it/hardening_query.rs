//! What a hostile tester found in round two (issue 34) in `query`, the
//! configuration, the rater key, the public board, `sample --targets` and
//! `ledger --out`: files read past the guard, a stack overflow, parameters
//! substituted into each other, aliases flipping a rating, raters split by
//! a moved key, a board that could be differenced, a misspelt village
//! ignored, a `.tmp` left behind.

use crate::util::{
    csv_records, draw, first_rater_place, inbox_with, query_rows, split_csv, Dir, KEYED_HEAD,
};

/// A folder with a configuration (`extra` appended), a two-subject roster
/// in `in/`, and nothing else yet.
fn county(extra: &str) -> Dir {
    inbox_with(
        &format!("[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\nreports = \"reports\"\n{extra}"),
        "被评议对象编号,名称,类型,组织类型,乡镇,村(社区)\nZZ0001,下平社区党总支,组织,社区,中枢镇,下平社区\nZZ0002,上平村党支部,组织,农村,中枢镇,上平村\n",
    )
}

/// `n` forms (one rating each) for `subject` on `date`, ids `prefix0…`,
/// every third one 不满意.
fn forms(prefix: &str, subject: &str, date: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            let rating = if i % 3 == 0 { "不满意" } else { "满意" };
            format!("{prefix}{i},{subject},{date},普通群众,,群众测评,问卷,{rating},\n")
        })
        .collect()
}

/// `county("")` with three forms of ZZ0001 ingested.
fn three_forms_ingested() -> Dir {
    let d = county("");
    d.write(
        "in/ratings.csv",
        &format!("{KEYED_HEAD}{}", forms("A", "ZZ0001", "2012-09-03", 3)),
    );
    d.ok(&["ingest"]);
    d
}

#[test]
fn query_refuses_a_table_function_however_its_name_is_written() {
    let d = three_forms_ingested();
    d.write("outside.csv", "a\nsecret-line\n");
    for sql in [
        "select * from `read_csv`('outside.csv')",
        "select * from read_csv/**/('outside.csv')",
        "select * from read_csv.x('outside.csv')",
        "select * from \"read_csv\".\"y\"('outside.csv')",
        "select * from READ_csv ( 'outside.csv' )",
        "select * from ratings where subject_id in (select a from read_csv('outside.csv'))",
    ] {
        let q = d.run(&["query", "--format", "csv", sql]);
        assert_eq!(q.code, 1, "{sql}: {}", q.stdout);
        assert!(!q.stdout.contains("secret-line"), "{sql} read the file");
        assert!(
            q.stderr.contains("table function") && q.stderr.contains("--allow-files"),
            "{sql}: {}",
            q.stderr
        );
    }
    let trusted = d.ok(&[
        "query",
        "--allow-files",
        "--format",
        "csv",
        "select * from `read_csv`('outside.csv')",
    ]);
    assert_eq!(trusted.stdout, "a\nsecret-line\n");
}

#[test]
fn a_statement_too_large_to_plan_is_refused_with_a_message_not_a_crash() {
    let d = three_forms_ingested();
    let unions = vec!["select 1 as x"; 2_000].join(" union all ");
    let terms = format!("select {} as x", vec!["1"; 10_000].join(" + "));
    for (sql, says) in [(&unions, "SELECTs"), (&terms, "levels deep")] {
        let q = d.run(&["query", sql]);
        assert_eq!(q.code, 1, "{says}: {}", q.stderr);
        assert!(q.stderr.contains(says), "{}", q.stderr);
        assert!(!q.stderr.contains("overflow"), "{}", q.stderr);
    }
    // Well inside the limits, long statements still run.
    let fifty = vec!["select 1 as x"; 50].join(" union all ");
    assert_eq!(
        query_rows(&d, &format!("select sum(x) from ({fifty}) t")),
        [["50"]]
    );
    let sum = format!("select {} as x", vec!["1"; 100].join(" + "));
    assert_eq!(query_rows(&d, &sum), [["100"]]);
}

#[test]
fn named_query_parameters_never_substitute_into_each_other() {
    let d = county("");
    let mut r = String::from(KEYED_HEAD);
    r.push_str(&forms("A", "ZZ0001", "2012-09-03", 4));
    r.push_str(&forms("B", "ZZ0002", "2012-09-03", 4));
    d.write("in/ratings.csv", &r);
    d.ok(&["ingest"]);
    std::fs::create_dir(d.join("q")).unwrap();
    d.write(
        "q/one.sql",
        "-- Ratings of one subject in one period.\n-- param: subject — 被评议对象编号\n-- param: period — 期次\nselect subject_id, count(*) as n from ratings where subject_id = :subject and period = :period group by subject_id\n",
    );
    let run = |subject: &str, period: &str| {
        let r = d.ok(&[
            "query",
            "--queries",
            "q",
            "--name",
            "one",
            "--format",
            "csv",
            "--param",
            &format!("subject={subject}"),
            "--param",
            &format!("period={period}"),
        ]);
        csv_records(&r.stdout)
            .into_iter()
            .skip(1)
            .collect::<Vec<_>>()
    };
    assert_eq!(run("ZZ0001", "2012Q3"), [["ZZ0001", "4"]]);
    // A value naming another placeholder stays a value.
    assert_eq!(run(":period", "or 1=1 --"), Vec::<Vec<String>>::new());
    assert_eq!(run(":period", "2012Q3"), Vec::<Vec<String>>::new());
}

#[test]
fn scale_spellings_equal_ignoring_case_width_or_invisible_characters_are_refused() {
    let d = Dir::new();
    let scale = |first_alias: &str, score: &str| {
        format!(
            "[[scale]]\nlabel = \"满意\"\naliases = [\"{first_alias}\"]\nscore = {score}\nsatisfied = true\n\n[[scale]]\nlabel = \"不满意\"\naliases = [\"satisfied\"]\nscore = 1\n\n[[scale]]\nlabel = \"不了解\"\nabstain = true\n"
        )
    };
    for (alias, score, key) in [
        ("Satisfied", "3", "scale[1].aliases[0]"),
        ("ＳＡＴＩＳＦＩＥＤ", "3", "scale[1].aliases[0]"),
        ("satis\u{200b}fied ", "3", "scale[1].aliases[0]"),
        ("very satisfied", "nan", "scale[0].score"),
        ("very satisfied", "inf", "scale[0].score"),
    ] {
        d.write("bad.toml", &scale(alias, score));
        let r = d.run(&["config", "check", "bad.toml"]);
        assert_eq!(r.code, 5, "{alias} {score}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(key), "{alias} {score}: {}", r.stderr);
    }
    d.write("good.toml", &scale("very satisfied", "3"));
    d.ok(&["config", "check", "good.toml"]);
}

#[test]
fn ingest_matches_a_rating_ignoring_case_width_and_invisible_characters() {
    let d = county("");
    let mut r = String::from(KEYED_HEAD);
    for (i, rating) in [
        "Satisfied",
        "ＳＡＴＩＳＦＩＥＤ",
        "\u{feff}满\u{200b}意",
        "DISSATISFIED",
        "Dis\u{2060}satisfied",
    ]
    .iter()
    .enumerate()
    {
        r.push_str(&format!(
            "R{i},ZZ0001,2012-09-03,普通群众,,群众测评,问卷,{rating},\n"
        ));
    }
    // Traditional characters are another spelling, not a variant: not guessed.
    r.push_str("T1,ZZ0001,2012-09-03,普通群众,,群众测评,问卷,滿意,\n");
    d.write("in/ratings.csv", &r);
    assert_eq!(d.run(&["ingest"]).code, 3);
    assert_eq!(
        query_rows(
            &d,
            "select response_id, rating from ratings order by response_id"
        ),
        [
            ["R0", "满意"],
            ["R1", "满意"],
            ["R2", "满意"],
            ["R3", "不满意"],
            ["R4", "不满意"],
        ]
    );
    assert_eq!(
        query_rows(&d, "select reason from quarantine"),
        [["off_scale"]]
    );
}

#[test]
fn a_different_rater_key_is_refused_and_the_environment_wins() {
    let d = county("[privacy]\nrater_key = \"first-key\"\n");
    let with_id = |id: &str, rater: &str| {
        format!("{KEYED_HEAD}{id},ZZ0001,2012-09-03,普通群众,{rater},群众测评,问卷,满意,\n")
    };
    d.write("in/a.csv", &with_id("A1", "P001"));
    d.ok(&["ingest"]);
    // The key moved to the environment, as the file advises: same raters.
    d.write(
        "pingyi.toml",
        "[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\nreports = \"reports\"\n",
    );
    d.write("in/b.csv", &with_id("B1", "P001"));
    let moved = d.run_env(&["ingest"], &[("PINGYI_RATER_KEY", "first-key")]);
    assert_eq!(moved.code, 0, "{}", moved.stderr);
    assert_eq!(
        query_rows(&d, "select count(distinct rater_key) from ratings"),
        [["1"]]
    );
    // Another key would give P001 a second identity: refused, nothing ingested.
    d.write("in/c.csv", &with_id("C1", "P001"));
    let other = d.run_env(&["ingest"], &[("PINGYI_RATER_KEY", "second-key")]);
    assert_eq!(other.code, 5, "{}", other.stderr);
    assert!(
        other.stderr.contains("PINGYI_RATER_KEY")
            && other.stderr.contains("Restore the original key"),
        "{}",
        other.stderr
    );
    assert_eq!(query_rows(&d, "select count(*) from ratings"), [["2"]]);
    // Both set: the environment wins, with a warning.
    d.write(
        "pingyi.toml",
        "[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\nreports = \"reports\"\n[privacy]\nrater_key = \"second-key\"\n",
    );
    let both = d.run_env(&["ingest"], &[("PINGYI_RATER_KEY", "first-key")]);
    assert_eq!(both.code, 0, "{}", both.stderr);
    assert!(both.stderr.contains("both set"), "{}", both.stderr);
    assert_eq!(
        query_rows(
            &d,
            "select count(distinct rater_key), count(*) from ratings"
        ),
        [["1", "3"]]
    );
    // The file's key alone is not the warehouse's: refused.
    d.write("in/d.csv", &with_id("D1", "P001"));
    assert_eq!(d.run(&["ingest"]).code, 5);
}

#[test]
fn the_public_board_shows_closed_years_only_and_one_more_form_changes_nothing() {
    let d = county("[report]\nas_of = \"2012-12-31\"\n");
    let mut r = String::from(KEYED_HEAD);
    r.push_str(&forms("A", "ZZ0001", "2011-09-03", 30));
    r.push_str(&forms("B", "ZZ0002", "2011-09-03", 30));
    r.push_str(&forms("C", "ZZ0001", "2012-09-03", 41));
    r.push_str(&forms("D", "ZZ0002", "2012-09-03", 30));
    d.write("in/ratings.csv", &r);
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    d.ok(&["report", "--audience", "public"]);
    let board = || -> Vec<String> {
        ["public.csv", "public.html"]
            .map(|f| std::fs::read_to_string(d.join("reports/public-zh").join(f)).unwrap())
            .to_vec()
    };
    let first = board();
    let csv = std::fs::read_to_string(d.join("reports/public-zh/public.csv")).unwrap();
    let zz1: Vec<Vec<String>> = csv
        .lines()
        .map(split_csv)
        .filter(|f| f.get(1).is_some_and(|id| id == "ZZ0001"))
        .collect();
    assert_eq!(zz1.len(), 1, "{csv}");
    assert_eq!(zz1[0][6], "30", "2011, the closed year: {csv}");
    let html = std::fs::read_to_string(d.join("reports/public-zh/public.html")).unwrap();
    assert!(
        html.contains("2012 年度的结果将于 2013-01-15 起公布"),
        "{html}"
    );
    assert!(html.contains("年末后 15 天"), "{html}");
    // One more form in the open year: the board does not move.
    d.write(
        "in/more.csv",
        &format!("{KEYED_HEAD}{}", forms("E", "ZZ0001", "2012-12-30", 1)),
    );
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    d.ok(&["report", "--audience", "public"]);
    assert!(
        board() == first,
        "one form in the open year changed the board"
    );
    // After the grace, 2012 is shown whole.
    d.write(
        "pingyi.toml",
        "[paths]\ninbox = \"in\"\nwarehouse = \"wh\"\nreports = \"reports\"\n[report]\nas_of = \"2013-01-15\"\n",
    );
    // (With a batch: a recompute without one is issue 34's item 2.)
    d.write(
        "in/2013.csv",
        &format!("{KEYED_HEAD}{}", forms("F", "ZZ0002", "2013-01-10", 1)),
    );
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    d.ok(&["report", "--audience", "public"]);
    let csv = std::fs::read_to_string(d.join("reports/public-zh/public.csv")).unwrap();
    let zz1: Vec<Vec<String>> = csv
        .lines()
        .map(split_csv)
        .filter(|f| f.get(1).is_some_and(|id| id == "ZZ0001"))
        .collect();
    assert_eq!(zz1[0][6], "42", "{csv}");
}

#[test]
fn a_misspelt_target_village_is_refused_with_the_closest_names() {
    let d = Dir::new();
    d.write("pingyi.toml", "[privacy]\nrater_key = \"test\"\n");
    let (township, village) = first_rater_place();
    let misspelt: String = village.chars().take(village.chars().count() - 1).collect();
    d.write(
        "targets.csv",
        &format!(
            "乡镇,村（社区）\n{},{}\n{},{misspelt}\n",
            township, village, township
        ),
    );
    let r = draw(
        &d,
        "targets.csv",
        "draw",
        &["--seed", "3", "--per-village", "10"],
    );
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stderr.contains(&format!("village `{misspelt}`")) && r.stderr.contains(&village),
        "{}",
        r.stderr
    );
    assert!(!d.join("draw").exists(), "nothing drawn");
}

#[test]
fn a_failed_ledger_out_leaves_no_temporary_file() {
    let d = county("[report]\nas_of = \"2012-12-31\"\n");
    d.write(
        "in/ratings.csv",
        &format!("{KEYED_HEAD}{}", forms("A", "ZZ0001", "2012-09-03", 5)),
    );
    d.write(
        "in/ledger.csv",
        "台账编号,被评议对象编号,收集日期,收集方式,问题类别,意见建议内容,整改措施,责任人,完成时限,整改状态\nY1,ZZ0001,2012-03-01,随机抽查,作风建设,路灯不亮,维修,张三,2012-04-01,整改中\n",
    );
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    std::fs::create_dir(d.join("outdir")).unwrap();
    std::fs::create_dir(d.join("book.xlsx")).unwrap();
    for out in ["outdir", "book.xlsx"] {
        let r = d.run(&["ledger", "--out", out]);
        assert_eq!(r.code, 1, "{out}");
        assert!(r.stderr.contains("is a folder"), "{}", r.stderr);
        let q = d.run(&["query", "--out", out, "select 1 as x"]);
        assert_eq!(q.code, 1, "{out}");
    }
    let left: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(std::fs::read_dir(d.join("outdir")).unwrap().count(), 0);
}
