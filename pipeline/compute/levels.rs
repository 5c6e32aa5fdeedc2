//! The group levels of `group_period` (county, township, village, org type,
//! pioneer category, rater category, method, channel, item) and how a
//! subject's sums meet the roster attributes those levels group by. A leaf
//! of the compute stage: rates, standardized rates and changes all group
//! by these, so none of them owns the list.

use polars::prelude::*;

use crate::contract::Level;

/// Group levels of `group_period`; each groups by its column (`group`).
pub const LEVELS: [Level; 9] = [
    Level::County,
    Level::Township,
    Level::Village,
    Level::OrgType,
    Level::PioneerCategory,
    Level::RaterCategory,
    Level::Method,
    Level::Channel,
    Level::Item,
];

/// What a level of `LEVELS` groups by: the county is one group, 全县;
/// every other level its column.
pub fn group(level: Level) -> Expr {
    match level {
        Level::County => lit("全县"),
        _ => col(level.as_str()),
    }
}

/// Sums per subject joined to the subject attributes the group levels
/// group by (township, village, org type, pioneer category).
pub fn with_attributes(per_subject: LazyFrame, subjects: LazyFrame) -> LazyFrame {
    per_subject.join(
        subjects.select([
            col("subject_id"),
            col("township"),
            col("village"),
            col("org_type"),
            col("pioneer_category"),
        ]),
        [col("subject_id")],
        [col("subject_id")],
        JoinArgs::new(JoinType::Left),
    )
}
