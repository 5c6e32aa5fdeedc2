//! The integrity audit (评议真实性核查, issue 38): the evidence ingest keeps
//! (time of day, device, collector), the checks of the `integrity` table,
//! what the reports show of them, and the generator's planted manipulation.

use crate::util::{one_subject, split_csv, Dir};

const KEY: &str = "[privacy]\nrater_key = \"integrity-test-key\"\n";

fn query(d: &Dir, sql: &str) -> Vec<Vec<String>> {
    let r = d.ok(&["query", "--format", "csv", sql]);
    r.stdout.lines().skip(1).map(split_csv).collect()
}

fn device_source() -> String {
    let root = std::fs::read_to_string(crate::util::repo().join("pingyi.toml")).unwrap();
    root[root.find("[sources.evaluation_device]").unwrap()..].to_string()
}

#[test]
fn ingest_keeps_time_of_day_device_and_collector_and_invents_none() {
    let d = one_subject(&format!("{KEY}{}", device_source()));
    d.write(
        "in/forms.csv",
        "问卷编号,被评议对象编号,测评时间,评议人类别,评议方式,评议途径,评价,采集人\n\
         A1,ZZ0001,2012-09-03 14:30,服务对象,群众测评,测评表,满意,张三\n\
         A2,ZZ0001,2012-09-03,服务对象,群众测评,测评表,满意,\n",
    );
    d.write(
        "in/device.jsonl",
        "{\"vote_id\":\"V1\",\"device_id\":\"pjq-007\",\"target_code\":\"ZZ0001\",\"ts\":\"2012-09-04 03:00:07\",\"button\":1}\n\
         {\"vote_id\":\"V2\",\"target_code\":\"ZZ0001\",\"ts\":\"2012-09-04\",\"button\":1}\n",
    );
    d.ok(&["ingest"]);
    assert_eq!(
        query(
            &d,
            "select response_id, rated_at, rated_time, device_id, collector from ratings order by response_id"
        ),
        vec![
            vec!["A1", "2012-09-03", "14:30:00", "", "张三"],
            vec!["A2", "2012-09-03", "", "", ""],
            vec!["V1", "2012-09-04", "03:00:07", "PJQ-007", ""],
            vec!["V2", "2012-09-04", "", "", ""],
        ]
    );
    assert_eq!(
        query(&d, "select count(*) from ratings where rated_time is null and device_id is null and collector is null")[0][0],
        "2",
        "absent values are null, never invented"
    );
}

/// A folder with subjects ZZ0001–ZZ0003, the device source and `extra`
/// configuration.
fn three_subjects(extra: &str) -> Dir {
    let d = one_subject(&format!("{KEY}{}\n{extra}", device_source()));
    d.write(
        "in/roster.csv",
        "被评议对象编号,名称,类型,组织类型,乡镇,村(社区)\n\
         ZZ0001,下平社区党总支,组织,社区,中枢镇,下平社区\n\
         ZZ0002,黄庄社区党总支,组织,社区,中枢镇,黄庄社区\n\
         ZZ0003,石桥社区党总支,组织,社区,中枢镇,石桥社区\n",
    );
    d
}

const HEAD: &str = "问卷编号,被评议对象编号,测评时间,评议人类别,评议人编号,评议方式,评议途径,评议内容,评价,采集人\n";

/// The integrity rows of one check: unit, unit_id, subject, window, n, flagged.
fn rows(d: &Dir, check: &str) -> Vec<Vec<String>> {
    query(
        d,
        &format!("select unit, unit_id, subject_id, \"window\", n, flagged from integrity where \"check\" = '{check}' order by unit, unit_id, \"window\""),
    )
}

#[test]
fn integrity_flags_one_key_stuffing_one_subject_and_one_key_rating_too_many() {
    let d = three_subjects("[integrity]\nmax_subjects_per_key_day = 2\n");
    let mut csv = HEAD.to_string();
    // The hostile case: one key, twelve forms of 满意 for one subject in 2012Q4.
    for i in 0..12 {
        csv += &format!(
            "S{i:02},ZZ0001,2012-11-0{},服务对象,R1,群众测评,测评表,总体评价,满意,\n",
            1 + i % 3
        );
    }
    // One honest person each: two forms (a talk, then the draw) is allowed.
    csv += "H1,ZZ0001,2012-11-02,服务对象,R2,民情恳谈,座谈会,总体评价,满意,\n";
    csv += "H2,ZZ0001,2012-11-20,服务对象,R2,随机抽查,访谈,总体评价,不满意,\n";
    // One key rating three subjects on one day (the limit set to 2).
    for (i, s) in ["ZZ0001", "ZZ0002", "ZZ0003"].iter().enumerate() {
        csv += &format!("B{i},{s},2012-10-09,服务对象,R3,群众测评,测评表,总体评价,满意,\n");
    }
    d.write("in/forms.csv", &csv);
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    let dup = rows(&d, "duplicate_key");
    assert_eq!(dup.len(), 1, "{dup:?}");
    assert_eq!(dup[0][2..], ["ZZ0001", "2012Q4", "12", "true"]);
    assert!(
        dup[0][1].starts_with("hmac:") || dup[0][1].len() >= 32,
        "a key, never the clear id: {:?}",
        dup[0][1]
    );
    let busy = rows(&d, "busy_key");
    assert_eq!(busy.len(), 1, "{busy:?}");
    assert_eq!(busy[0][2..], ["", "2012-10-09", "3", "true"]);
}

#[test]
fn integrity_flags_a_device_burst_at_night_and_not_a_busy_afternoon() {
    let d = three_subjects("");
    let mut jsonl = String::new();
    // The hostile case: 60 votes of button 3 within 60 seconds at 03:00, in two quarters.
    for (q, day) in ["2012-08-15", "2012-11-15"].iter().enumerate() {
        for i in 0..60 {
            jsonl += &format!(
                "{{\"vote_id\":\"N{q}{i:02}\",\"device_id\":\"PJQ-009\",\"target_code\":\"ZZ0002\",\"ts\":\"{day} 03:00:{i:02}\",\"button\":3}}\n"
            );
        }
    }
    // A busy service hall: 40 votes spread over an afternoon, one every 6 minutes.
    for i in 0..40 {
        let (h, m) = (13 + i * 6 / 60, i * 6 % 60);
        jsonl += &format!(
            "{{\"vote_id\":\"D{i:02}\",\"device_id\":\"PJQ-001\",\"target_code\":\"ZZ0001\",\"ts\":\"2012-09-04 {h:02}:{m:02}:00\",\"button\":1}}\n"
        );
    }
    d.write("in/device.jsonl", &jsonl);
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    assert_eq!(
        rows(&d, "burst"),
        vec![
            vec!["device", "PJQ-009", "ZZ0002", "2012-08-15", "60", "true"],
            vec!["device", "PJQ-009", "ZZ0002", "2012-11-15", "60", "true"],
        ]
    );
    assert_eq!(
        rows(&d, "off_hours"),
        vec![
            vec!["device", "PJQ-009", "ZZ0002", "2012Q3", "60", "true"],
            vec!["device", "PJQ-009", "ZZ0002", "2012Q4", "60", "true"],
        ]
    );
    let at = query(
        &d,
        "select first_at, last_at, note from integrity where \"check\" = 'burst' order by first_at",
    );
    assert_eq!(at[0][..2], ["2012-08-15 03:00:00", "2012-08-15 03:00:59"]);
    assert!(
        at[0][2].starts_with("需核实：60票在10分钟内来自同一评价器"),
        "{}",
        at[0][2]
    );
}

/// Forms of three items by `collector`: `top` of them all 满意, the rest mixed.
fn forms_of(collector: &str, forms: usize, top: usize, first: usize) -> String {
    let mut csv = String::new();
    for f in 0..forms {
        let id = format!("F{:04}", first + f);
        for (k, item) in ["总体评价", "服务群众", "廉洁自律"].iter().enumerate() {
            let rating = if f < top || k != 1 {
                "满意"
            } else {
                "基本满意"
            };
            csv += &format!(
                "{id},ZZ000{},2012-09-0{},服务对象,,群众测评,测评表,{item},{rating},{collector}\n",
                1 + f % 3,
                1 + f % 7
            );
        }
    }
    csv
}

#[test]
fn integrity_finds_the_straight_lining_collector_among_honest_ones() {
    let d = three_subjects("");
    let mut csv = HEAD.to_string();
    // Five collectors with about a quarter of their forms all-top; one with all.
    for (c, name) in ["甲", "乙", "丙", "丁", "戊"].iter().enumerate() {
        csv += &forms_of(name, 40, 8 + c % 3 * 2, c * 100);
    }
    csv += &forms_of("己", 40, 40, 900);
    d.write("in/forms.csv", &csv);
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    let got = query(
        &d,
        "select unit_id, n, round(share, 4), round(baseline, 4), flagged from integrity where \"check\" = 'straight_lining' and unit = 'collector' order by unit_id",
    );
    let flagged: Vec<&str> = got
        .iter()
        .filter(|r| r[4] == "true")
        .map(|r| r[0].as_str())
        .collect();
    assert_eq!(flagged, ["己"], "{got:?}");
    // 己: 40 of 40 forms all-top against the others' 48 of 200 (0.24):
    // p = 0.24^40, far below any q threshold.
    let own = got.iter().find(|r| r[0] == "己").unwrap();
    assert_eq!(own[1..4], ["40", "1.0", "0.24"]);
}

#[test]
fn integrity_tests_the_method_effect_with_clustered_variances() {
    let d = three_subjects("");
    let mut csv = HEAD.to_string();
    // ZZ0001: self-collected forms 49/50 满意, the random draw 31/50 (62%).
    for i in 0..50 {
        let r = if i < 49 { "满意" } else { "不满意" };
        csv +=
            &format!("M{i:02},ZZ0001,2012-09-03,服务对象,,群众测评,测评表,总体评价,{r},村干部甲\n");
        let r = if i < 31 { "满意" } else { "不满意" };
        csv += &format!("R{i:02},ZZ0001,2012-09-13,服务对象,,随机抽查,访谈,总体评价,{r},\n");
    }
    // ZZ0002: the same 80% both ways: tested, not flagged.
    for i in 0..40 {
        let r = if i % 5 != 0 { "满意" } else { "不满意" };
        csv += &format!("P{i:02},ZZ0002,2012-09-03,服务对象,,民情恳谈,座谈会,总体评价,{r},\n");
        csv += &format!("Q{i:02},ZZ0002,2012-09-13,服务对象,,随机抽查,访谈,总体评价,{r},\n");
    }
    d.write("in/forms.csv", &csv);
    d.ok(&["ingest"]);
    d.ok(&["compute"]);
    let got = query(
        &d,
        "select subject_id, \"window\", n, baseline_n, share, baseline, z, p, q, flagged, note from integrity where \"check\" = 'method_effect' and unit = 'subject' order by subject_id",
    );
    assert_eq!(got.len(), 2, "{got:?}");
    // One rating per form: n_eff = k (DESIGN §5), so z is the textbook
    // unpooled two-proportion z on the counts.
    let (pf, pd) = (0.98f64, 0.62f64);
    let z = (pf - pd) / (pf * (1.0 - pf) / 50.0 + pd * (1.0 - pd) / 50.0).sqrt();
    let num = |s: &str| s.parse::<f64>().unwrap();
    assert_eq!(got[0][..4], ["ZZ0001", "2012", "50", "50"]);
    assert!((num(&got[0][6]) - z).abs() < 1e-9, "z {} vs {z}", got[0][6]);
    assert!(
        num(&got[0][7]) < 1e-6 && got[0][9] == "true",
        "{:?}",
        got[0]
    );
    assert_eq!(got[0][10], "需核实：面对面测评明显高于随机抽查");
    assert_eq!(got[1][0], "ZZ0002");
    assert_eq!((got[1][6].as_str(), got[1][9].as_str()), ("0.0", "false"));
}

/// The sample's inbox with the issue's two hostile cases added: one key
/// with twelve forms of 满意 for ZZ0131 in 2012Q4, and one device with 60
/// votes of button 3 within 60 seconds at 03:00 for ZZ0076 in two quarters.
fn hostile_sample() -> Dir {
    let d = Dir::new();
    let inbox = d.join("in");
    std::fs::create_dir(&inbox).unwrap();
    for e in std::fs::read_dir(crate::util::repo().join("sample-data/inbox")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, inbox.join(p.file_name().unwrap())).unwrap();
    }
    let mut csv =
        "问卷编号,被评议对象编号,评议日期,评议人类别,评议人编号,评议方式,评议途径,评议内容,评价\n"
            .to_string();
    for i in 0..12 {
        csv += &format!(
            "HX{i:03},ZZ0131,2012-11-{:02},服务对象,R999999,群众测评,测评表,总体评价,满意\n",
            5 + i % 3
        );
    }
    d.write("in/stuffed.csv", &csv);
    let mut jsonl = String::new();
    for (q, day) in ["2012-08-15", "2012-11-15"].iter().enumerate() {
        for i in 0..60 {
            jsonl += &format!("{{\"vote_id\":\"NX{q}{i:02}\",\"device_id\":\"PJQ-999\",\"target_code\":\"ZZ0076\",\"ts\":\"{day} 03:00:{i:02}\",\"button\":3}}\n");
        }
    }
    d.write("in/night-device.jsonl", &jsonl);
    let config = crate::util::sample_config("wh").replace(
        &format!(
            "inbox = {:?}",
            crate::util::repo()
                .join("sample-data/inbox")
                .display()
                .to_string()
        ),
        "inbox = \"in\"",
    );
    d.write("pingyi.toml", &config);
    d
}

#[test]
fn integrity_flags_the_issues_two_hostile_cases_in_the_table_the_query_and_the_page() {
    let d = hostile_sample();
    d.run(&["ingest"]);
    d.ok(&["compute"]);
    let flags = query(
        &d,
        "select \"check\", subject_id, \"window\", n from integrity where flagged order by \"check\", \"window\"",
    );
    assert_eq!(
        flags,
        [
            ["burst", "ZZ0076", "2012-08-15", "60"],
            ["burst", "ZZ0076", "2012-11-15", "60"],
            ["duplicate_key", "ZZ0131", "2012Q4", "12"],
            ["off_hours", "ZZ0076", "2012Q3", "60"],
            ["off_hours", "ZZ0076", "2012Q4", "60"],
        ]
        .map(|r| r.map(String::from).to_vec())
        .to_vec(),
        "exactly the two hostile cases, nothing on the clean sample"
    );
    let named = d.ok(&[
        "query",
        "--queries",
        &crate::util::repo().join("queries").display().to_string(),
        "--name",
        "integrity_flags",
        "--param",
        "year=2012",
        "--format",
        "csv",
    ]);
    assert_eq!(named.stdout.lines().count(), 6, "{}", named.stdout);
    d.ok(&["report"]);
    let page = std::fs::read_to_string(d.join("reports/leadership-zh/leadership.html")).unwrap();
    let section = &page[page.find("id=\"integrity\"").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    for want in [
        "ZZ0131",
        "ZZ0076",
        "PJQ-999",
        "需核实：同一评议人本期对该对象提交12份测评表",
        "需核实：60票在10分钟内来自同一评价器",
    ] {
        assert!(section.contains(want), "the 需核实 section names {want}");
    }
    // ZZ0076's burst made it a breach: the 诫勉谈话 list marks it 需核实.
    let breaches =
        &page[page.find("id=\"breaches\"").unwrap()..page.find("id=\"integrity\"").unwrap()];
    assert!(
        breaches.contains("ZZ0076") && breaches.contains("class=\"verify\""),
        "the breach list marks the flagged case"
    );
    let card = std::fs::read_to_string(d.join("reports/units-zh/cards/ZZ0076.html")).unwrap();
    assert!(card.contains("需核实"), "the unit card says so");
    let public = std::fs::read_to_string(d.join("reports/public-zh/public.html")).unwrap();
    assert!(
        !public.contains("需核实") && !public.contains("PJQ-999"),
        "never on the public board"
    );
}
