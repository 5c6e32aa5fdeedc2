//! `pingyi cases [--status S] [--township T] [--overdue] [--out FILE]`: the
//! 诫勉谈话 cases (诫勉谈话台账) the last compute opened, with the latest
//! case records joined on (a sheet ingested after the compute shows at
//! once); `--history ID` lists one case's recorded versions; `--template
//! FILE.xlsx` writes the sheet the department fills, one row per case.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use polars::prelude::*;

use crate::contract::CaseStatus;
use crate::dates::Date;
use crate::fsutil::write_atomic;
use crate::query::{self, Format};
use crate::warehouse::{Manifest, Warehouse};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusArg {
    /// 待谈话: not held yet
    Pending,
    /// 已谈话: held
    Held,
    /// 不予谈话: not held, with a reason
    Declined,
}

impl StatusArg {
    fn status(self) -> CaseStatus {
        match self {
            StatusArg::Pending => CaseStatus::Pending,
            StatusArg::Held => CaseStatus::Held,
            StatusArg::Declined => CaseStatus::Declined,
        }
    }
}

#[derive(Debug, Args)]
pub struct CasesArgs {
    /// Only cases in this state
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    /// Only this township (乡镇)
    #[arg(long)]
    pub township: Option<String>,
    /// Only this subject (被评议对象编号)
    #[arg(long, value_name = "ID")]
    pub subject: Option<String>,
    /// Only cases not held whose due date passed before the compute's as-of date
    #[arg(long)]
    pub overdue: bool,
    /// Every recorded version of one case (案件编号), oldest first
    #[arg(long, value_name = "ID", conflicts_with_all = ["status", "overdue", "template"])]
    pub history: Option<String>,
    /// Output format on standard output
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the cases to FILE (.xlsx, .csv or .jsonl)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the case sheet to fill (案件编号, 状态, 谈话日期 …) to FILE.xlsx
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
}

pub fn run(args: &CasesArgs, explicit: Option<&Path>) -> Result<()> {
    let loaded = super::load_config(explicit)?;
    let cfg = &loaded.config;
    let protected = crate::outdir::Protected::new(cfg, &loaded.origin);
    for (flag, path) in [("--out", &args.out), ("--template", &args.template)] {
        if let Some(p) = path {
            protected.file(flag, p)?;
        }
    }
    let wh = Warehouse::open(&cfg.paths.warehouse)?;
    let manifest = wh.manifest()?;
    if let Some(id) = &args.history {
        return history(&wh, &manifest, id);
    }
    let mut df = filtered(args, &current(&wh, &manifest)?)?;
    if let Some(path) = &args.template {
        write_atomic(path, &query::xlsx(&[("诫勉谈话台账", template(&df)?)])?)?;
        eprintln!(
            "wrote a case sheet of {} cases to {}",
            df.height(),
            path.display()
        );
        return Ok(());
    }
    match &args.out {
        Some(path) => {
            let xlsx = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
            let format = Format::from_extension(path).unwrap_or(args.format);
            if xlsx {
                write_atomic(path, &query::xlsx(&[("诫勉谈话台账", df.clone())])?)?;
            } else {
                let bom = format == Format::Csv;
                let opts = query::CsvOptions { bom, raw: false };
                query::write_file(&mut df, format, opts, path)?;
            }
            eprintln!("wrote {} cases to {}", df.height(), path.display());
            Ok(())
        }
        None => query::write(
            &mut df,
            args.format,
            query::CsvOptions::default(),
            &mut std::io::stdout().lock(),
        ),
    }
}

/// The computed cases with the latest case records in place of the ones
/// the compute saw, and overdue on the compute's as-of date.
pub fn current(wh: &Warehouse, m: &Manifest) -> Result<DataFrame> {
    if !m.tables.contains_key("cases") {
        bail!("the warehouse has no `cases` table yet: run `pingyi compute` first");
    }
    let as_of = m
        .computed_as_of
        .as_deref()
        .and_then(crate::dates::parse_loose)
        .unwrap_or(Date::from_days(0));
    let record = ["status", "held_on", "outcome", "reason", "interviewer"];
    let cases = wh.scan(m, "cases")?;
    let order: Vec<Expr> = cases
        .clone()
        .collect_schema()?
        .iter_names()
        .map(|n| col(n.clone()))
        .collect();
    let records = wh.scan(m, "case_records")?.select(
        std::iter::once(col("case_id"))
            .chain(record.iter().map(|c| col(*c).alias(format!("__{c}"))))
            .collect::<Vec<_>>(),
    );
    let pending = lit(CaseStatus::Pending.as_str());
    let day = lit(as_of.to_days() as i32).cast(DataType::Date);
    Ok(cases
        .join(
            records,
            [col("case_id")],
            [col("case_id")],
            JoinArgs::new(JoinType::Left),
        )
        // A record newer than the compute replaces the compute's copy whole.
        .with_columns(
            record
                .iter()
                .map(|c| {
                    when(col("__status").is_not_null())
                        .then(col(format!("__{c}")))
                        .otherwise(col(*c))
                        .alias(*c)
                })
                .collect::<Vec<_>>(),
        )
        .with_column(
            col("status")
                .eq(pending)
                .and(col("due").lt(day))
                .alias("overdue"),
        )
        .select(order)
        .collect()?)
}

fn filtered(args: &CasesArgs, df: &DataFrame) -> Result<DataFrame> {
    let mut lf = df.clone().lazy();
    if let Some(s) = args.status {
        lf = lf.filter(col("status").eq(lit(s.status().as_str())));
    }
    if let Some(t) = &args.township {
        lf = lf.filter(col("township").eq(lit(t.clone())));
    }
    if let Some(s) = &args.subject {
        lf = lf.filter(col("subject_id").eq(lit(s.clone())));
    }
    if args.overdue {
        lf = lf.filter(col("overdue"));
    }
    // Lists do not fit a CSV cell or a sheet: the periods as one text (the
    // rates stay in the `cases` table for a query).
    Ok(lf
        .with_column(col("periods").list().join(lit("、"), true))
        .drop(cols(["rates"]))
        .collect()?)
}

/// The sheet the department fills: who and what, then the columns to fill.
fn template(df: &DataFrame) -> Result<DataFrame> {
    let blank = || lit(NULL).cast(DataType::String);
    Ok(df
        .clone()
        .lazy()
        .select([
            col("case_id").alias("案件编号"),
            col("subject_id").alias("被评议对象编号"),
            col("name").alias("姓名"),
            col("unit").alias("所属组织"),
            col("position").alias("职务"),
            col("leader").alias("责任领导"),
            col("due").cast(DataType::String).alias("应谈日期"),
            col("status").alias("状态"),
            col("held_on")
                .cast(DataType::String)
                .fill_null(blank())
                .alias("谈话日期"),
            col("outcome").fill_null(blank()).alias("谈话结果"),
            col("reason").fill_null(blank()).alias("不予谈话理由"),
            col("interviewer").fill_null(blank()).alias("谈话人"),
        ])
        .collect()?)
}

fn history(wh: &Warehouse, m: &Manifest, id: &str) -> Result<()> {
    let mut df = wh.history(
        m,
        "case_records_history",
        ("case_id", id),
        &["status", "held_on", "outcome", "reason", "interviewer"],
    )?;
    if df.height() == 0 {
        bail!("no case `{id}` in the case records' history");
    }
    query::write(
        &mut df,
        Format::Table,
        query::CsvOptions::default(),
        &mut std::io::stdout().lock(),
    )
}
