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
