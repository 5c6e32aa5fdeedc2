//! The group levels of `group_period` (county, township, village, org type,
//! pioneer category, rater category, method, channel, item) and how a
//! subject's sums meet the roster attributes those levels group by. A leaf
//! of the compute stage: rates, standardized rates and changes all group
//! by these, so none of them owns the list.

use polars::prelude::*;

/// Group levels of `group_period` and the column each groups by.
pub const LEVELS: [&str; 9] = [
    "county",
    "township",
    "village",
    "org_type",
    "pioneer_category",
    "rater_category",
    "method",
    "channel",
    "item",
];

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
