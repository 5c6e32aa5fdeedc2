//! Method-standardized rates (issue 36, item 2): `group_period.rate_std`
//! recounted from the raw ratings in the test — each method's rate in the
//! cell, weighted by the county's share of that method's valid ratings in
//! the year — for every township in 2012 and for one township's quarters.

use std::collections::BTreeMap;

use crate::compute::query;
use crate::util::county;

/// rate_std of each (group, period) of a level, recounted from the ratings.
fn recount(
    d: &crate::util::Dir,
    level: &str,
    span_period: &str,
) -> BTreeMap<(String, String), f64> {
    let weights: BTreeMap<(String, String), f64> = {
        let rows = query(
            d,
            "select substr(period, 1, 4) as year, method, count(*) as n from ratings \
             where valid group by year, method",
        );
        let mut totals: BTreeMap<String, f64> = BTreeMap::new();
        for r in &rows {
            *totals.entry(r[0].clone()).or_default() += r[2].parse::<f64>().unwrap();
        }
        rows.iter()
            .map(|r| {
                (
                    (r[0].clone(), r[1].clone()),
                    r[2].parse::<f64>().unwrap() / totals[&r[0]],
                )
            })
            .collect()
    };
    // The township level counts subject_groups' township (the county
    // bodies apart); the other levels the roster's own column.
    let grp = if level == "township" {
        "g.township".to_string()
    } else {
        format!("s.{level}")
    };
    let cells = query(
        d,
        &format!(
            "select {grp} as grp, {span_period} as per, r.method, \
             sum(case when r.satisfied then 1 else 0 end) as sat, count(*) as n \
             from ratings as r join subjects as s on s.subject_id = r.subject_id \
             join subject_groups as g on g.subject_id = r.subject_id \
             where r.valid group by grp, per, r.method"
        ),
    );
    let mut acc: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    for c in cells {
        let p = c[3].parse::<f64>().unwrap() / c[4].parse::<f64>().unwrap();
        let w = weights[&(c[1][..4].to_string(), c[2].clone())];
        let e = acc.entry((c[0].clone(), c[1].clone())).or_default();
        e.0 += w * p;
        e.1 += w;
    }
    acc.into_iter()
        .map(|(k, (num, den))| (k, num / den))
        .collect()
}

#[test]
fn rate_std_is_the_county_method_mix_applied_to_each_group() {
    let d = county();
    let years = recount(&d, "township", "substr(r.period, 1, 4)");
    let stored = query(
        &d,
        "select \"group\", period, rate_std, rate from group_period \
         where level = 'township' and span = 'year'",
    );
    assert!(stored.len() >= 8, "{stored:?}");
    for r in &stored {
        let want = years[&(r[0].clone(), r[1].clone())];
        let got: f64 = r[2].parse().unwrap();
        assert!(
            (got - want).abs() < 1e-12,
            "{} {}: {got} vs {want}",
            r[0],
            r[1]
        );
    }
    // The draw lifted 午街铺镇's raw 2012 rate; standardized, it falls.
    let wjp = stored
        .iter()
        .find(|r| r[0] == "午街铺镇" && r[1] == "2012")
        .unwrap();
    let (std, raw): (f64, f64) = (wjp[2].parse().unwrap(), wjp[3].parse().unwrap());
    assert!(std < raw, "午街铺镇 2012: standardized {std} vs raw {raw}");

    let quarters = recount(&d, "township", "r.period");
    let stored = query(
        &d,
        "select period, rate_std from group_period \
         where level = 'township' and \"group\" = '中枢镇' and span = 'period'",
    );
    for r in &stored {
        let want = quarters[&("中枢镇".to_string(), r[0].clone())];
        assert!(
            (r[1].parse::<f64>().unwrap() - want).abs() < 1e-12,
            "{r:?} vs {want}"
        );
    }
    // For the method level, the one method present: rate_std = rate.
    let methods = query(
        &d,
        "select rate, rate_std from group_period where level = 'method' and rate is not null",
    );
    let close = |r: &Vec<String>| {
        (r[0].parse::<f64>().unwrap() - r[1].parse::<f64>().unwrap()).abs() < 1e-12
    };
    assert!(
        !methods.is_empty() && methods.iter().all(close),
        "{methods:?}"
    );
}
