//! The rectification ledger (整改台账) as the 整改销号 meeting reads it: open
//! items, overdue items (deadline before the as-of date, not 已销号), and
//! closed items with the subject's satisfaction rate in the periods before
//! and after closing, so leadership sees whether the people felt the change.
//! Every view reads the committed `suggestions` snapshot (the latest version
//! of each item; earlier versions stay in `suggestions_history`).

use anyhow::Result;
use polars::prelude::*;

use crate::calendar::WorkCalendar;
use crate::config::Granularity;
use crate::dates::Date;
use crate::warehouse::{Manifest, Warehouse};

use crate::overdue::{self, CLOSED};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum View {
    /// Not closed (未整改, 整改中)
    Open,
    /// Not closed and past the deadline
    Overdue,
    /// Closed (已销号), with the rate before and after
    Closed,
}

/// Narrowing every view: each given field must match exactly.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub township: Option<String>,
    pub subject: Option<String>,
    pub owner: Option<String>,
    pub category: Option<String>,
    /// Closed view: closed on or after this date.
    pub closed_since: Option<Date>,
}

pub struct Ledger<'a> {
    pub wh: &'a Warehouse,
    pub manifest: &'a Manifest,
    pub as_of: Date,
    pub granularity: Granularity,
    /// Deadlines on days off fall due on the next working day.
    pub calendar: &'a WorkCalendar,
}

fn date_lit(d: Date) -> Expr {
    lit(d.to_days() as i32).cast(DataType::Date)
}

impl Ledger<'_> {
    /// One view as a table, oldest deadline (or latest closing) first.
    pub fn view(&self, view: View, f: &Filter) -> Result<DataFrame> {
        let items = self.items(f)?;
        let df = match view {
            View::Open => items
                .filter(overdue::open())
                .with_column(overdue::overdue(self.as_of).alias("overdue"))
                .sort_by_exprs(
                    [col("deadline"), col("suggestion_id")],
                    SortMultipleOptions::default(),
                )
                .select(open_columns(true))
                .collect()?,
            View::Overdue => items
                .filter(overdue::overdue(self.as_of))
                .with_column(overdue::days_overdue(self.as_of))
                .sort_by_exprs(
                    [col("deadline"), col("suggestion_id")],
                    SortMultipleOptions::default(),
                )
                .select(
                    open_columns(false)
                        .into_iter()
                        .chain([col("days_overdue"), col("workdays_overdue")])
                        .collect::<Vec<_>>(),
                )
                .collect()?,
            View::Closed => self.closed(items, f)?,
        };
        Ok(df)
    }

    /// Suggestions with the subject's name and township, filtered.
    fn items(&self, f: &Filter) -> Result<LazyFrame> {
        let subjects = self.wh.scan(self.manifest, "subjects")?.select([
            col("subject_id"),
            col("name"),
            col("township"),
        ]);
        let mut items = self.wh.scan(self.manifest, "suggestions")?.join(
            subjects,
            [col("subject_id")],
            [col("subject_id")],
            JoinArgs::new(JoinType::Left),
        );
        let fields = [
            ("township", &f.township),
            ("subject_id", &f.subject),
            ("owner", &f.owner),
            ("category", &f.category),
        ];
        for (column, value) in fields {
            if let Some(v) = value {
                items = items.filter(col(column).eq(lit(v.clone())));
            }
        }
        overdue::with_due(items, self.calendar, self.as_of)
    }

    /// Closed items with the subject's rate in its last period with a rate
    /// before the period the item closed in, and its first such period after.
    fn closed(&self, items: LazyFrame, f: &Filter) -> Result<DataFrame> {
        let mut closed = items.filter(col("status").eq(lit(CLOSED)));
        if let Some(since) = f.closed_since {
            closed = closed.filter(col("closed_at").gt_eq(date_lit(since)));
        }
        let closed = closed.with_column(
            crate::periods::period(col("closed_at"), self.granularity).alias("closed_in"),
        );
        // Periods with a rate: one where every rating abstained says nothing.
        let rates = self
            .wh
            .scan(self.manifest, "subject_period")?
            .filter(col("rate").is_not_null())
            .select([col("subject_id"), col("period"), col("valid"), col("rate")]);
        let pairs = closed
            .clone()
            .select([col("suggestion_id"), col("subject_id"), col("closed_in")])
            .join(
                rates,
                [col("subject_id")],
                [col("subject_id")],
                JoinArgs::new(JoinType::Inner),
            );
        let side = |before: bool, suffix: &str| {
            let keep = if before {
                col("period").lt(col("closed_in"))
            } else {
                col("period").gt(col("closed_in"))
            };
            let pick = |c: &str| {
                let sorted = col(c).sort_by([col("period")], SortMultipleOptions::default());
                let chosen = if before {
                    sorted.last()
                } else {
                    sorted.first()
                };
                chosen.alias(format!("{c}_{suffix}"))
            };
            pairs
                .clone()
                .filter(keep)
                .group_by([col("suggestion_id")])
                .agg([pick("period"), pick("valid"), pick("rate")])
        };
        let on = || [col("suggestion_id")];
        let out = closed
            .join(
                side(true, "before"),
                on(),
                on(),
                JoinArgs::new(JoinType::Left),
            )
            .join(
                side(false, "after"),
                on(),
                on(),
                JoinArgs::new(JoinType::Left),
            )
            .with_columns([
                col("closed_at").lt_eq(col("due")).alias("on_time"),
                ((col("rate_after") - col("rate_before")) * lit(100.0)).alias("change_pp"),
            ])
            .sort_by_exprs(
                [col("closed_at"), col("suggestion_id")],
                SortMultipleOptions::default().with_order_descending_multi([true, false]),
            )
            .select(
                [
                    "suggestion_id",
                    "subject_id",
                    "name",
                    "township",
                    "category",
                    "owner",
                    "measure",
                    "deadline",
                    "due",
                    "closed_at",
                    "on_time",
                    "follow_up",
                    "period_before",
                    "valid_before",
                    "rate_before",
                    "closed_in",
                    "period_after",
                    "valid_after",
                    "rate_after",
                    "change_pp",
                ]
                .map(col),
            )
            .collect()?;
        Ok(out)
    }

    /// Every recorded version of one item, oldest batch first.
    pub fn history(&self, suggestion_id: &str) -> Result<DataFrame> {
        self.wh.history(
            self.manifest,
            "suggestions_history",
            ("suggestion_id", suggestion_id),
            &[
                "status",
                "deadline",
                "closed_at",
                "owner",
                "measure",
                "follow_up",
            ],
        )
    }
}

fn open_columns(with_overdue: bool) -> Vec<Expr> {
    let mut c: Vec<Expr> = [
        "suggestion_id",
        "subject_id",
        "name",
        "township",
        "category",
        "content",
        "measure",
        "owner",
        "received_at",
        "deadline",
        "status",
    ]
    .map(col)
    .to_vec();
    if with_overdue {
        c.push(col("overdue"));
    }
    c
}
