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

use crate::config::Config;

/// The roster with `township` replaced by the county bodies' group for
/// each county body, and a `county_body` flag. A subject is one when its
/// org type is listed, or it is an organization whose parent is listed, or
/// a cadre whose parent is such an organization (the roster links a cadre
/// to its organization by the organization's name).
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
