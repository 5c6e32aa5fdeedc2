//! County bodies apart (县直单位): the roster places the county's own organs
//! (县委办, 县公安局 …) in the county seat's township, yet no township
//! answers for them. Compute reads the subject roster through `grouped`,
//! which puts every county body (`[groups]` in the configuration) in the
//! township-level group `groups.county_bodies`, so each table, ranking and
//! chart built on the township shows a township's own units only and the
//! county bodies as their own group. `subject_groups` is the table the SQL
//! models and the named queries join for the same grouping.

use anyhow::Result;
use polars::prelude::*;

use super::metric::{metric, Metric, Plan};
use crate::config::Config;
use crate::warehouse::schema::columns;

/// The roster with `township` replaced by the county bodies' group for
/// each county body, and a `county_body` flag. A subject is one when its
/// org type or its parent (所属组织) is listed, or its parent is an
/// organization listed so (a cadre: the roster links a cadre to its
/// organization by the organization's name).
pub fn grouped(cfg: &Config, subjects: LazyFrame) -> LazyFrame {
    let g = &cfg.groups;
    if g.county_bodies.is_empty() {
        return subjects.with_column(lit(false).alias("county_body"));
    }
    let listed = |name: &str, values: &[String]| {
        col(name)
            .is_in(
                lit(Series::new("v".into(), values.to_vec())).implode(false),
                false,
            )
            .fill_null(lit(false))
    };
    let by_type = listed("org_type", &g.county_body_org_types);
    let by_parent = listed("parent", &g.county_body_parents);
    let organization = col("kind").eq(lit(crate::contract::SUBJECT_KINDS[0]));
    // The organizations the rule names directly, by name: a cadre whose
    // parent is one of them is a county body too.
    let bodies = subjects
        .clone()
        .filter(organization.and(by_type.clone().or(by_parent.clone())))
        .select([col("name").alias("__body")])
        .filter(col("__body").is_not_null())
        .unique_stable(None, UniqueKeepStrategy::First)
        .with_column(lit(true).alias("__via_parent"));
    subjects
        .join(
            bodies,
            [col("parent")],
            [col("__body")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(
            by_type
                .or(by_parent)
                .or(col("__via_parent").fill_null(lit(false)))
                .alias("county_body"),
        )
        .with_column(
            when(col("county_body"))
                .then(lit(g.county_bodies.clone()))
                .otherwise(col("township"))
                .alias("township"),
        )
        .drop(cols(["__via_parent"]))
        // A join need not keep the roster's order: sort, so equal inputs
        // give equal frames.
        .sort(["subject_id"], Default::default())
}

/// The roster read through the rule, collected once for every builder and
/// the cluster pass.
pub fn grouped_frame(cfg: &Config, subjects: LazyFrame) -> Result<DataFrame> {
    Ok(grouped(cfg, subjects).collect()?)
}

/// `subject_groups`: each subject's township-level group and whether it is
/// a county body.
pub fn subject_groups(grouped: LazyFrame) -> LazyFrame {
    grouped
        .select([col("subject_id"), col("township"), col("county_body")])
        .sort(["subject_id"], Default::default())
}

#[rustfmt::skip] // the columns as a text table
pub fn entry() -> Metric {
    metric(
        "subject_groups",
        "subject",
        "Each subject's group at the township level: its township, or the county bodies' group (县直单位) by the rule `[groups]`; every township figure counts this group.",
        &["subjects"],
        |i| Ok(Plan::Lazy(subject_groups(i.lazy("subjects")?))),
        columns("
            subject_id   str   the organization or cadre
            township     str   the township it counts in: the roster's, or groups.county_bodies for a county body
            county_body  bool  a county body by the rule: its org type or parent listed, or a cadre of an organization whose parent is listed
        "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster() -> LazyFrame {
        df! {
            "subject_id" => ["G1", "G2", "G3", "Z1", "Z2", "Z3", "Z4"],
            "name" => ["张三", "李四", "王五", "县委办党支部", "中枢镇党委", "县一中党支部", "张三"],
            "kind" => ["干部", "干部", "干部", "组织", "组织", "组织", "组织"],
            "org_type" => ["机关", "机关", "学校", "机关", "机关", "学校", "企业"],
            "township" => ["中枢镇", "中枢镇", "中枢镇", "中枢镇", "中枢镇", "中枢镇", "金马镇"],
            "parent" => [Some("县委办党支部"), Some("中枢镇党委"), Some("县一中党支部"), Some("县直机关工委"), Some("县委"), Some("县教育局党委"), None],
        }
        .expect("a frame")
        .lazy()
    }

    fn cfg(extra: &str) -> Config {
        crate::config::parse_str(extra, "(test)", std::path::Path::new(".")).expect("config")
    }

    fn townships(cfg: &Config) -> Vec<String> {
        let df = grouped(cfg, roster()).collect().expect("grouped");
        df.column("township")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|t| t.unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn an_organ_and_its_cadres_form_the_county_bodies_group() {
        let t = townships(&cfg(""));
        // G1 is a cadre of the organ Z1; G2 of the township's own committee.
        assert_eq!(
            t,
            [
                "县直单位",
                "中枢镇",
                "中枢镇",
                "县直单位",
                "中枢镇",
                "中枢镇",
                "金马镇"
            ]
        );
    }

    #[test]
    fn org_types_count_and_an_empty_name_switches_the_group_off() {
        let t = townships(&cfg("[groups]\ncounty_body_org_types = [\"学校\"]\n"));
        assert_eq!(
            t,
            [
                "县直单位",
                "中枢镇",
                "县直单位",
                "县直单位",
                "中枢镇",
                "县直单位",
                "金马镇"
            ]
        );
        let off = cfg("[groups]\ncounty_bodies = \"\"\n");
        assert!(townships(&off).iter().all(|t| t != "县直单位"));
    }
}
