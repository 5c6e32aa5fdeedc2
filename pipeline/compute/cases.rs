//! 诫勉谈话 cases (DESIGN §1 "From finding to action"): every breach on
//! `certain` evidence opens one case — who it concerns, the rule and the
//! periods, the leader who holds the talk, a due date in working days, and
//! what the department's case sheet (`case_records`) says became of it. A
//! `likely` breach opens nothing: it stays on the follow-up draw list.
//!
//! Reproducible by construction: the case id is `window-subject_id`, and a
//! case opens on the day after the last listed period of its breach ends,
//! or on the as-of date when that is earlier (a breach found inside an open
//! period) — never on the day compute happens to run.

use anyhow::Result;
use polars::prelude::*;

use crate::calendar::WorkCalendar;
use crate::config::Config;
use crate::contract::CaseStatus;
use crate::dates::Date;

/// The day after period `label` ends (`2012`, `2012Q3`, `2012H2`,
/// `2012-07`); None for a label of no known shape.
pub fn after_period(label: &str) -> Option<Date> {
    let year: i32 = label.get(..4)?.parse().ok()?;
    let rest = label.get(4..)?;
    let last_month = match rest {
        "" => 12,
        _ if rest.starts_with('Q') => rest[1..].parse::<u32>().ok()? * 3,
        "H1" => 6,
        "H2" => 12,
        _ if rest.starts_with('-') => rest[1..].parse().ok()?,
        _ => return None,
    };
    let last = Date::new(
        year,
        last_month,
        crate::dates::days_in_month(year, last_month),
    )?;
    Some(last.add_days(1))
}

/// The day a case opens: after its breach's last listed period, capped at
/// the as-of date.
pub fn opened_on(last_period: &str, as_of: Date) -> Date {
    after_period(last_period).map_or(as_of, |d| d.min(as_of))
}

/// The certain breaches with the subjects' hierarchy, one row each.
fn certain(breaches: LazyFrame, subjects: LazyFrame) -> LazyFrame {
    breaches
        .filter(col("evidence").eq(lit("certain")))
        .join(
            subjects.select(
                [
                    "subject_id",
                    "name",
                    "kind",
                    "org_type",
                    "township",
                    "village",
                    "parent",
                    "position",
                ]
                .map(col),
            ),
            [col("subject_id")],
            [col("subject_id")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            concat_str([col("window"), col("subject_id")], "-", false).alias("case_id"),
            // A cadre's unit is the organization it belongs to; an
            // organization's is its village, else its township.
            coalesce(&[col("parent"), col("village"), col("township")]).alias("unit"),
            col("periods").list().last().alias("__last"),
        ])
}

/// Leader, opened_on and due per case, computed in Rust: a handful of rows,
/// and the calendar is not an expression.
fn schedule(cfg: &Config, cal: &WorkCalendar, df: &DataFrame, as_of: Date) -> Result<DataFrame> {
    let org = df.column("org_type")?.str()?;
    let town = df.column("township")?.str()?;
    let last = df.column("__last")?.str()?;
    let (mut leader, mut opened, mut due) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..df.height() {
        leader.push(
            cfg.cases
                .leader(org.get(i).unwrap_or(""), town.get(i).unwrap_or("")),
        );
        let open = opened_on(last.get(i).unwrap_or(""), as_of);
        opened.push(open.to_days() as i32);
        due.push(cal.add_workdays(open, cfg.cases.due_workdays)?.to_days() as i32);
    }
    Ok(DataFrame::new_infer_height(vec![
        df.column("case_id")?.clone(),
        Column::new("leader".into(), leader),
        Column::new("opened_on".into(), opened).cast(&DataType::Date)?,
        Column::new("due".into(), due).cast(&DataType::Date)?,
    ])?)
}

/// One row per certain breach: the case and where it stands.
pub fn cases(
    cfg: &Config,
    cal: &WorkCalendar,
    breaches: LazyFrame,
    subjects: LazyFrame,
    records: LazyFrame,
    as_of: Date,
) -> Result<DataFrame> {
    let open = certain(breaches, subjects).collect()?;
    let plan = schedule(cfg, cal, &open, as_of)?;
    let on = || [col("case_id")];
    let records = records.select(
        [
            "case_id",
            "status",
            "held_on",
            "outcome",
            "reason",
            "interviewer",
        ]
        .map(col),
    );
    let pending = lit(CaseStatus::Pending.as_str());
    let as_of_day = lit(as_of.to_days() as i32).cast(DataType::Date);
    Ok(open
        .lazy()
        .join(plan.lazy(), on(), on(), JoinArgs::new(JoinType::Left))
        .join(records, on(), on(), JoinArgs::new(JoinType::Left))
        .with_column(col("status").fill_null(pending.clone()))
        .with_column(
            col("status")
                .eq(pending)
                .and(col("due").lt(as_of_day))
                .alias("overdue"),
        )
        .select(
            [
                "case_id",
                "subject_id",
                "name",
                "kind",
                "unit",
                "position",
                "township",
                "org_type",
                "window",
                "rule",
                "evidence",
                "periods",
                "rates",
                "leader",
                "opened_on",
                "due",
                "status",
                "held_on",
                "outcome",
                "reason",
                "interviewer",
                "overdue",
            ]
            .map(col),
        )
        .sort(["case_id"], Default::default())
        .collect()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_opens_after_its_last_period_or_on_the_as_of_date() {
        let d = |y, m, d| Date::new(y, m, d).expect("a date");
        assert_eq!(after_period("2012Q3"), Some(d(2012, 10, 1)));
        assert_eq!(after_period("2012H1"), Some(d(2012, 7, 1)));
        assert_eq!(after_period("2012-02"), Some(d(2012, 3, 1)));
        assert_eq!(after_period("2012"), Some(d(2013, 1, 1)));
        assert_eq!(opened_on("2012Q4", d(2012, 12, 31)), d(2012, 12, 31));
        assert_eq!(opened_on("2012Q2", d(2012, 12, 31)), d(2012, 7, 1));
    }
}
