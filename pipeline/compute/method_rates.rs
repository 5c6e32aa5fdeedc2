//! The method effect as a figure (issue 36, item 5): per assessment year,
//! subject kind (组织/干部) and township (and 全县), each collection method's
//! rate with its interval counted in people (forms as clusters, DESIGN §5
//! "Evidence"), beside the benchmark — the random draw (随机抽查,
//! `integrity.benchmark`), the only method whose raters the rated unit does
//! not choose. The township is `subject_groups`' (county bodies apart). The
//! integrity audit tests the gap per subject (`integrity/method.rs`); this
//! table shows it where a leader reads it, and the named query
//! `method_effect` lists it.

use polars::prelude::*;

use super::evidence::clustered;
use super::method_cells::by_year;
use super::metric::{metric, Metric, Plan};
use crate::config::Config;
use crate::contract::Level;
use crate::warehouse::schema::columns;

/// The township of the county-wide rows.
pub use super::method_cells::COUNTY;

/// The table: one row per year, kind, township (and 全县) and method with a
/// valid rating, from the pass's method cells (`method_cells.rs`).
pub fn method_rates(cfg: &Config, method_cells: LazyFrame) -> LazyFrame {
    let keys = ["window", "kind", "township", "method"];
    let per_level = |level: Level| by_year(method_cells.clone(), level);
    let cells = concat(
        [per_level(Level::Township), per_level(Level::County)],
        UnionArgs::default(),
    )
    .expect("same schema by construction")
    .rename(
        ["group", "m", "y"],
        ["township", "valid", "satisfied"],
        true,
    )
    .with_column((col("satisfied") / col("valid")).alias("rate"));
    let cells = clustered(cells);
    let bench = lit(cfg.integrity.benchmark.clone());
    let by = ["window", "kind", "township"].map(col);
    let benchmark = cells
        .clone()
        .filter(col("method").eq(bench.clone()))
        .select([
            col("window"),
            col("kind"),
            col("township"),
            col("rate").alias("benchmark_rate"),
        ]);
    cells
        .join(benchmark, by.clone(), by, JoinArgs::new(JoinType::Left))
        .select([
            col("window"),
            col("kind"),
            col("township"),
            col("method"),
            col("method").eq(bench).alias("benchmark"),
            col("valid").cast(DataType::UInt32),
            col("raters"),
            col("n_eff"),
            col("satisfied").cast(DataType::UInt32),
            col("rate"),
            col("ci_low"),
            col("ci_high"),
            col("benchmark_rate"),
            ((col("rate") - col("benchmark_rate")) * lit(100.0)).alias("vs_benchmark"),
        ])
        .sort(keys, Default::default())
}

#[rustfmt::skip] // the columns as a text table
pub fn entry() -> Metric {
    metric(
        "method_rates",
        "year × subject kind × township × method",
        "The method effect: each collection method's rate by subject kind and township with its interval in people, beside the benchmark, the random draw (随机抽查) the rated unit does not choose.",
        &["method_cells"],
        |i| Ok(Plan::Lazy(method_rates(i.cfg, i.lazy("method_cells")?))),
        columns("
            window          str   the assessment year, as 2012
            kind            str   组织 (organization) or 干部 (cadre)
            township        str   the township (subject_groups': 县直单位 for the county bodies), 全县 for the county, '' without one
            method          str   the collection method (评议方式)
            benchmark       bool  the method is the benchmark (integrity.benchmark, 随机抽查 by default)
            valid           u32   valid ratings
            raters          u32   people: distinct responses with a valid rating
            n_eff           f64   effective n with forms as clusters (as group_period)
            satisfied       u32   valid ratings at a satisfied level
            rate            f64   satisfied / valid
            ci_low          f64   Wilson 95% interval of rate on n_eff: lower bound
            ci_high         f64   Wilson 95% interval of rate on n_eff: upper bound
            benchmark_rate  f64   the benchmark's rate in the same year, kind and township; null where it did not rate
            vs_benchmark    f64   (rate − benchmark_rate) × 100, percentage points
        "),
    )
}
