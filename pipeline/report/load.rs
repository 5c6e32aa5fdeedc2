//! What the reports read: the committed metrics tables, the subject roster,
//! the ledger and the manifest's input files, as typed rows. Reports never
//! touch DataFrames after this point (templates render view models).
//!
//! Rows travel DataFrame → JSON → serde structs: the metrics tables are small
//! (tens of thousands of rows even for ten million ratings), and one generic
//! conversion beats a hand-written column extractor per table.

use anyhow::{bail, Context, Result};
use polars::prelude::{col, cols, DataFrame, IntoLazy, JoinArgs, JoinType, MaintainOrderJoin};
use serde::Deserialize;

use super::estimate::Estimate;
use super::rows::{read, TableRow};
use crate::calendar::WorkCalendar;
pub use crate::contract::Evidence;
use crate::warehouse::{FileStatus, Manifest, Warehouse};

#[derive(Debug, Clone, Deserialize)]
pub struct Subject {
    pub subject_id: String,
    pub name: String,
    pub kind: String,
    pub org_type: Option<String>,
    pub pioneer_category: Option<String>,
    /// The township the metrics count it in (`subject_groups`: 县直单位
    /// for a county body).
    pub township: Option<String>,
    /// The roster's own township: where the unit sits and its raters live,
    /// so where a follow-up draw takes them.
    #[serde(default)]
    pub seat: Option<String>,
    pub village: Option<String>,
    pub parent: Option<String>,
    pub position: Option<String>,
}

/// A `method_rates` row: one method's rate for a subject kind and township
/// in a year, beside the benchmark's.
#[derive(Debug, Clone, Deserialize)]
pub struct MethodRate {
    pub window: String,
    pub kind: String,
    pub township: String,
    pub method: String,
    pub benchmark: bool,
    pub raters: u64,
    pub rate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub vs_benchmark: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubjectPeriod {
    pub subject_id: String,
    pub period: String,
    pub valid: u64,
    pub raters: Option<u64>,
    pub n_eff: Option<f64>,
    pub rate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub rate_ps: Option<f64>,
    pub coverage: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GroupPeriod {
    pub level: String,
    pub group: Option<String>,
    pub span: String,
    pub period: String,
    pub valid: u64,
    pub raters: u64,
    pub satisfied: u64,
    pub rate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Method-standardized (`compute/standardize.rs`).
    #[serde(default)]
    pub rate_std: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Composition {
    pub subject_id: String,
    pub period: String,
    pub org_type: String,
    pub quota_group: String,
    pub n: u64,
    pub share: f64,
    pub quota: f64,
    pub max_deviation: f64,
    pub compliant: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Breach {
    pub subject_id: String,
    pub window: String,
    pub rule: String,
    pub threshold: f64,
    /// The breach's: certain only when a broken rule holds on sufficient
    /// evidence alone.
    pub evidence: Evidence,
    pub periods: Vec<String>,
    pub rates: Vec<f64>,
    pub valid: Vec<u64>,
    pub raters: Vec<u64>,
    pub ci_low: Vec<Option<f64>>,
    pub ci_high: Vec<Option<f64>>,
    pub period_evidence: Vec<Evidence>,
    pub action: String,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Watch {
    pub subject_id: String,
    pub window: String,
    /// `period` or `year`: what one evaluation is for the subject's kind.
    #[serde(default = "period_window")]
    pub rule_window: String,
    /// `open`, `closed` (the window ended without triggering) or `carries`
    /// (closed, but the next year's window still counts this year).
    #[serde(default = "open_status")]
    pub status: String,
    #[serde(flatten)]
    pub at: PeriodFigures,
}

fn period_window() -> String {
    "period".to_string()
}

fn open_status() -> String {
    "open".to_string()
}

/// A subject's figures in one period below a threshold: a watchlist row's,
/// and each period of a breach once its lists are split.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct PeriodFigures {
    pub period: String,
    pub rate: f64,
    pub valid: u64,
    /// People: distinct responses with a valid rating.
    pub raters: u64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Grade {
    pub subject_id: String,
    pub window: String,
    pub valid: u64,
    pub satisfied: u64,
    pub raters: Option<u64>,
    pub n_eff: Option<f64>,
    pub rate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub grade: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LedgerSummary {
    pub level: String,
    pub group: Option<String>,
    pub suggestions: u64,
    pub closed: u64,
    pub closure_rate: Option<f64>,
    pub overdue: u64,
    pub median_days_to_close: Option<f64>,
    pub answered_on_spot: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Headline {
    pub people_identified: u64,
    pub ratings: u64,
    pub raters: u64,
    pub subjects_rated: u64,
    pub rate: Option<f64>,
    pub suggestions: u64,
}

fn points_to_fraction<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.map(|pp| pp / 100.0))
}

#[derive(Debug, Clone, Deserialize)]
pub struct Trend {
    pub level: String,
    pub group: Option<String>,
    pub n_periods: u64,
    pub last_period: String,
    pub rate_last: Option<f64>,
    /// As a fraction, like every rate and change the reports format (`pp`
    /// multiplies by 100); the table holds percentage points (DESIGN §5).
    #[serde(deserialize_with = "points_to_fraction")]
    pub delta_last: Option<f64>,
    pub mk_z: Option<f64>,
    pub mk_p: Option<f64>,
    /// Benjamini-Hochberg q of mk_p within the level: what "significant" rests on.
    pub mk_q: Option<f64>,
    pub tau: Option<f64>,
    pub sen_slope: Option<f64>,
    pub declining: bool,
}

/// A change split by collection method (`changes`), as fractions like
/// `Trend::delta_last`: the table holds percentage points.
#[derive(Debug, Clone, Deserialize)]
pub struct Change {
    pub level: String,
    pub group: String,
    pub kind: String,
    pub from: String,
    pub to: String,
    pub rate_from: Option<f64>,
    pub rate_to: Option<f64>,
    #[serde(deserialize_with = "points_to_fraction")]
    pub delta: Option<f64>,
    #[serde(deserialize_with = "points_to_fraction")]
    pub within_method: Option<f64>,
    #[serde(deserialize_with = "points_to_fraction")]
    pub method_mix: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Detail {
    pub subject_id: String,
    pub window: String,
    pub dimension: String,
    pub group: Option<String>,
    pub raters: Option<u64>,
    pub valid: u64,
    pub rate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Suggestion {
    pub suggestion_id: String,
    pub subject_id: Option<String>,
    pub received_at: Option<String>,
    pub source_method: Option<String>,
    pub category: Option<String>,
    pub content: Option<String>,
    pub answered_on_spot: Option<bool>,
    pub measure: Option<String>,
    pub owner: Option<String>,
    pub deadline: Option<String>,
    pub status: Option<String>,
    pub closed_at: Option<String>,
    pub follow_up: Option<String>,
    /// Days past the deadline on the as-of date while not closed, else
    /// None: added on load by the one overdue rule (`crate::overdue`).
    pub days_overdue: Option<i64>,
}

/// One 诫勉谈话 case (`cases`), as the action plan shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub case_id: String,
    pub subject_id: String,
    pub window: String,
    pub leader: String,
    pub due: Option<String>,
    pub status: String,
    pub held_on: Option<String>,
    pub overdue: Option<bool>,
}

/// One ingested input file, for the methodology footnote.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: String,
    pub sheet: Option<String>,
    pub sha256: String,
    pub kind: String,
    pub rows: u64,
    pub accepted: u64,
    pub quarantined: u64,
}

// The table each row type is read from (`rows.rs`): one line a row type.

/// `Row => "table"`: `Row` is read from `table`, every field a column.
macro_rules! table_rows {
    ($($row:ty => $table:literal),* $(,)?) => {$(
        impl TableRow for $row {
            const TABLE: &'static str = $table;
        }
    )*};
}

table_rows! {
    MethodRate => "method_rates",
    SubjectPeriod => "subject_period",
    GroupPeriod => "group_period",
    Composition => "composition",
    Breach => "breaches",
    Grade => "grades",
    LedgerSummary => "ledger_summary",
    Headline => "headline",
    Trend => "trends",
    Change => "changes",
    Detail => "subject_detail",
    Case => "cases",
    IntegrityFlag => "integrity",
}

impl TableRow for Subject {
    const TABLE: &'static str = "subjects";
    const DERIVED: &'static [&'static str] = &["seat"];
}

impl TableRow for Suggestion {
    const TABLE: &'static str = "suggestions";
    const DERIVED: &'static [&'static str] = &["days_overdue"];
}

impl TableRow for Watch {
    const TABLE: &'static str = "watchlist";

    /// `flatten` hides the fields from serde's list: its own, then the figures'.
    fn fields() -> Vec<&'static str> {
        let own = ["subject_id", "window", "rule_window", "status"];
        own.into_iter()
            .chain(super::rows::struct_fields::<PeriodFigures>())
            .collect()
    }
}

/// The rows that carry a rate and its interval, as the view models show
/// them (`Estimate`).
macro_rules! estimate_of {
    ($($row:ty),*) => {$(
        impl From<&$row> for Estimate {
            fn from(r: &$row) -> Estimate {
                Estimate {
                    rate: r.rate,
                    ci_low: r.ci_low,
                    ci_high: r.ci_high,
                }
            }
        }
    )*};
}

estimate_of!(GroupPeriod, SubjectPeriod, Grade, Detail, MethodRate);

/// Everything a report may show.
#[derive(Debug, Clone)]
pub struct Data {
    pub as_of: String,
    /// The integrity audit's flagged rows (需核实), in the table's order.
    pub integrity: Vec<IntegrityFlag>,
    pub subjects: Vec<Subject>,
    pub subject_period: Vec<SubjectPeriod>,
    pub group_period: Vec<GroupPeriod>,
    pub composition: Vec<Composition>,
    pub breaches: Vec<Breach>,
    pub watchlist: Vec<Watch>,
    pub grades: Vec<Grade>,
    pub ledger_summary: Vec<LedgerSummary>,
    pub headline: Headline,
    pub trends: Vec<Trend>,
    pub changes: Vec<Change>,
    pub method_rates: Vec<MethodRate>,
    pub detail: Vec<Detail>,
    pub suggestions: Vec<Suggestion>,
    pub cases: Vec<Case>,
    pub inputs: Vec<Input>,
    pub quarantined: u64,
    /// The metrics were computed under other rules or from other data than
    /// the warehouse and configuration hold now (set by `report::run`):
    /// every page says so.
    pub stale: bool,
}

pub fn load(wh: &Warehouse, calendar: &WorkCalendar) -> Result<Data> {
    let m = wh.manifest()?;
    let Some(as_of) = m.computed_as_of.clone() else {
        bail!(
            "the warehouse {} has no metrics yet; run `pingyi compute` first",
            wh.root.display()
        );
    };
    let t = |name: &str| table(wh, &m, name);
    // The two largest tables are turned into rows on a second thread beside
    // the rest: the round trip through JSON is most of loading, and these
    // two tables are most of the round trip on a large county.
    let (largest, rest) = rayon::join(
        || -> Result<_> { Ok((rows_of::<Composition>(wh, &m)?, rows_of::<Detail>(wh, &m)?)) },
        || -> Result<Data> {
            Ok(Data {
                as_of: as_of.clone(),
                integrity: read(flagged(t(IntegrityFlag::TABLE)?)?)?,
                subjects: read(grouped_subjects(t(Subject::TABLE)?, t("subject_groups")?)?)?,
                subject_period: rows_of(wh, &m)?,
                group_period: rows_of(wh, &m)?,
                composition: Vec::new(),
                breaches: rows_of(wh, &m)?,
                watchlist: rows_of(wh, &m)?,
                grades: rows_of(wh, &m)?,
                ledger_summary: rows_of(wh, &m)?,
                headline: rows_of::<Headline>(wh, &m)?
                    .into_iter()
                    .next()
                    .unwrap_or_default(),
                trends: rows_of(wh, &m)?,
                changes: rows_of(wh, &m)?,
                method_rates: rows_of(wh, &m)?,
                detail: Vec::new(),
                suggestions: read(with_days_overdue(t(Suggestion::TABLE)?, calendar, &as_of)?)?,
                cases: rows_of(wh, &m)?,
                inputs: inputs(&m),
                quarantined: m
                    .batches
                    .iter()
                    .flat_map(|b| &b.files)
                    .map(|f| f.quarantined)
                    .sum(),
                stale: false,
            })
        },
    );
    let (composition, detail) = largest?;
    Ok(Data {
        composition,
        detail,
        ..rest?
    })
}

/// One flagged row of the `integrity` table.
#[derive(Debug, Clone, Deserialize)]
pub struct IntegrityFlag {
    pub check: String,
    pub unit: String,
    pub unit_id: Option<String>,
    pub subject_id: Option<String>,
    pub window: Option<String>,
    pub first_at: Option<String>,
    pub last_at: Option<String>,
    pub n: Option<u64>,
    pub share: Option<f64>,
    pub baseline: Option<f64>,
    pub q: Option<f64>,
    pub note: Option<String>,
}

/// The rows of the integrity table that need verification.
fn flagged(df: DataFrame) -> Result<DataFrame> {
    Ok(df.lazy().filter(col("flagged")).collect()?)
}

/// The suggestions with each item's days overdue on the as-of date (an
/// item due on a day off falls due on the next working day).
fn with_days_overdue(
    suggestions: DataFrame,
    calendar: &WorkCalendar,
    as_of: &str,
) -> Result<DataFrame> {
    let Some(d) = crate::dates::parse_loose(as_of) else {
        bail!("the metrics' as-of date `{as_of}` is not a date; run `pingyi compute` again");
    };
    let items = crate::overdue::with_due(suggestions.lazy(), calendar, d)?;
    Ok(items
        .with_column(crate::overdue::days_overdue(d))
        .drop(cols(["due", "workdays_overdue"]))
        .collect()?)
}

/// The roster with each subject's township as the metrics count it
/// (`subject_groups`: a county body in the county bodies' group), so a
/// page's lists by township agree with its township figures.
fn grouped_subjects(subjects: DataFrame, groups: DataFrame) -> Result<DataFrame> {
    let args = JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    };
    Ok(subjects
        .lazy()
        .rename(["township"], ["seat"], true)
        .join(
            groups.lazy().select([col("subject_id"), col("township")]),
            [col("subject_id")],
            [col("subject_id")],
            args,
        )
        .collect()?)
}

/// A row type's rows from its own table (`TableRow::TABLE`, the one the
/// test in `rows.rs` checks it against).
fn rows_of<T: TableRow>(wh: &Warehouse, m: &Manifest) -> Result<Vec<T>> {
    read(table(wh, m, T::TABLE)?)
}

fn table(wh: &Warehouse, m: &Manifest, name: &str) -> Result<DataFrame> {
    if !m.tables.contains_key(name) && crate::compute::tables::is_metric(name) {
        bail!("metrics table `{name}` is missing; run `pingyi compute` again (this warehouse was computed by an older pingyi)");
    }
    let lf = wh.scan(m, name)?;
    // Provenance columns are not reported; dropping them keeps the JSON small.
    let keep: Vec<_> = lf
        .clone()
        .collect_schema()?
        .iter_names()
        .filter(|c| !matches!(c.as_str(), "batch_id" | "source_file" | "source_line"))
        .map(|c| col(c.as_str()))
        .collect();
    lf.select(keep)
        .collect()
        .with_context(|| format!("cannot read table `{name}` from {}", wh.root.display()))
}

fn inputs(m: &Manifest) -> Vec<Input> {
    m.batches
        .iter()
        .flat_map(|b| &b.files)
        .filter(|f| f.status == FileStatus::Ingested)
        .map(|f| Input {
            path: f.path.clone(),
            sheet: f.sheet.clone(),
            sha256: f.sha256.clone(),
            kind: f.kind.clone().unwrap_or_default(),
            rows: f.rows,
            accepted: f.accepted,
            quarantined: f.quarantined,
        })
        .collect()
}
