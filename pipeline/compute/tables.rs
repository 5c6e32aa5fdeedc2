//! The metrics registry: every metric table pingyi computes, as one entry —
//! its name, what one row stands for, the inputs its builder reads (by
//! table name), the builder, and the declared output columns with their
//! type and meaning. `compute` runs the builders in the order their inputs
//! allow and checks each frame against its declaration before writing it;
//! `query` (SHOW TABLES, `\d`), `report::load`, `pingyi tables` and
//! `docs/tables.md` read the same entries. Adding a metric is one entry
//! here and one builder.

use anyhow::{bail, Result};
use polars::prelude::DataFrame;

pub use super::metric::{metric, Input, Inputs, Metric, Plan};
use super::{breaches, cases, changes, composition, integrity as audit, ledger, rates, trends};
use crate::warehouse::schema::{self, columns, Column, Table};

/// Aggregates of the ratings computed once per run and read by several
/// builders, with what each holds (for the data dictionary's "from" line,
/// they stand for `ratings`).
pub const SHARED: [(&str, &str); 10] = [
    ("cube", "ratings counted per subject, period, rater category, method, channel and item: the one pass over the ratings"),
    ("cube_categories", "the cube summed over method, channel and item: ratings counted per subject, period and rater category"),
    ("raters_by_category", "distinct responses per subject, period and rater category"),
    ("clusters", "per level, group and period: responses with a valid rating (k) and the sums Σm, Σy, Σy², Σym, Σm² over them"),
    ("clusters_ps", "per subject and period: the post-stratified residuals' Σz² over responses and the responses' weights"),
    ("method_cells", "per period: subject × method, township × kind × method and kind × method (全县), each with k and the cluster sums"),
    ("key_stuffing", "rater key × subject × period where the key gave more than integrity.max_forms_per_key forms, with the first and last rating"),
    ("key_busy_days", "rater key × day where the key rated more than integrity.max_subjects_per_key_day subjects, with the first and last rating"),
    ("straight_counts", "per collector and per channel and period: forms with enough valid ratings, and those all at the top level"),
    ("people", "distinct rater keys over every rating, one row (people_identified)"),
];

/// Every metric table, in the order `compute` reports them.
pub fn metrics() -> Vec<Metric> {
    vec![
        super::groups::entry(),
        subject_period(),
        group_period(),
        composition(),
        breaches(),
        cases(),
        watchlist(),
        grades(),
        ledger_summary(),
        headline(),
        trends(),
        subject_detail(),
        dont_know(),
        changes(),
        super::method_rates::entry(),
        integrity(),
    ]
}

/// The metric tables' names, in registry order.
pub fn names() -> Vec<&'static str> {
    metrics().iter().map(|m| m.table.name).collect()
}

pub fn is_metric(name: &str) -> bool {
    names().contains(&name)
}

/// Every table an analyst can query with a declared schema: the ingested
/// tables, then the metric tables.
pub fn catalog() -> Vec<Table> {
    let mut all = schema::ingested();
    all.extend(metrics().into_iter().map(|m| m.table));
    all
}

/// The warehouse tables a metric is computed from, shared aggregates
/// resolved to `ratings`, other metrics named as they are.
pub fn sources(m: &Metric) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for i in m.inputs {
        let s = if SHARED.iter().any(|(n, _)| n == i) {
            "ratings"
        } else {
            i
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// Fails, naming both sides, when a computed frame's columns, order or
/// types differ from its declaration: a builder and the registry disagree.
pub fn check(table: &Table, df: &DataFrame) -> Result<()> {
    let want: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("{} {}", c.name, c.dtype))
        .collect();
    let got: Vec<String> = df
        .schema()
        .iter()
        .map(|(n, t)| format!("{n} {t}"))
        .collect();
    if want != got {
        bail!(
            "metric table `{}` was computed as [{}] but compute::tables declares [{}]",
            table.name,
            got.join(", "),
            want.join(", ")
        );
    }
    Ok(())
}

/// The measures every rate table shares, after its keys.
#[rustfmt::skip] // the columns as a text table
fn rate_columns() -> Vec<Column> {
    columns("
        valid       u32   ratings not abstaining (不了解 is not valid)
        satisfied   u32   valid ratings at a level configured as satisfied
        abstained   u32   ratings at an abstain level (不了解)
        score_mean  f64   mean configured score of the scored ratings (null when none is scored)
        rate        f64   satisfied / valid; null when nothing is valid
        ci_low      f64   Wilson 95% interval of rate on valid: lower bound
        ci_high     f64   Wilson 95% interval of rate on valid: upper bound
    ")
}

/// The measures of a rate resting on people: `rate_columns` with the
/// people and effective n beside `valid`, and the interval on n_eff.
#[rustfmt::skip] // the columns as a text table
fn people_columns() -> Vec<Column> {
    columns("
        valid       u32   ratings not abstaining (不了解 is not valid)
        raters      u32   people: distinct responses (filled forms, device votes) with a valid rating
        n_eff       f64   effective n with forms as clusters: p(1−p)/Var(p) clamped to [raters, valid]; raters when p is 0 or 1 or raters < 2; null when nothing is valid
        satisfied   u32   valid ratings at a level configured as satisfied
        abstained   u32   ratings at an abstain level (不了解)
        score_mean  f64   mean configured score of the scored ratings (null when none is scored)
        rate        f64   satisfied / valid; null when nothing is valid
        ci_low      f64   Wilson 95% interval of rate on n_eff: lower bound
        ci_high     f64   Wilson 95% interval of rate on n_eff: upper bound
    ")
}

#[rustfmt::skip] // the columns as a text table
fn subject_period() -> Metric {
    let mut cols = columns("
        subject_id  str   the rated organization or cadre
        period      str   the evaluation period
    ");
    cols.extend(people_columns());
    cols.extend(columns("
        rate_ps     f64   post-stratified rate: each quota group of the org type weighted to its quota
        ps_ci_low   f64   Wilson 95% interval of rate_ps on ps_n_eff: lower bound
        ps_ci_high  f64   Wilson 95% interval of rate_ps on ps_n_eff: upper bound
        ps_n_eff    f64   effective n of rate_ps: p(1−p)/Var as R survey's postStratify on forms as clusters (not clamped); Kish's size of the forms' weights when Var is 0
        coverage    f64   sum of the quotas of the groups that rated (1 when all did)
    "));
    metric(
        "subject_period",
        "subject × period",
        "Satisfaction of each subject in each period: raw and post-stratified rates with intervals counted in people.",
        &["cube_categories", "composition", "clusters", "clusters_ps"],
        |i| {
            let (cube, comp) = (i.lazy("cube_categories")?, i.lazy("composition")?);
            let (sums, ps) = (i.lazy("clusters")?, i.lazy("clusters_ps")?);
            Ok(Plan::Lazy(rates::subject_period(cube, comp, sums, ps)))
        },
        cols,
    )
}

#[rustfmt::skip] // the columns as a text table
fn group_period() -> Metric {
    let mut cols = columns("
        level   str   county, township, village, org_type, pioneer_category, rater_category, method, channel or item
        group   str   the group within the level (全县 for the county)
        span    str   period (one evaluation period) or year (the assessment year)
        period  str   the period, or the year as 2012 when span is year
    ");
    cols.extend(people_columns());
    cols.extend(columns("
        rate_std  f64   method-standardized rate: Σ W_m·p_m / Σ W_m over the methods with valid ratings in the cell, W_m the county's share of method m's valid ratings in the assessment year (null when nothing is valid)
    "));
    metric(
        "group_period",
        "level × group × period",
        "Satisfaction pooled by every group level, per period and per assessment year.",
        &["cube", "cube_categories", "subjects", "clusters"],
        |i| {
            let (cube, categories) = (i.lazy("cube")?, i.lazy("cube_categories")?);
            let (subjects, sums) = (i.lazy("subjects")?, i.lazy("clusters")?);
            Ok(Plan::Lazy(rates::group_period(cube, categories, subjects, sums)))
        },
        cols,
    )
}

#[rustfmt::skip] // the columns as a text table
fn composition() -> Metric {
    metric(
        "composition",
        "subject × period × quota group",
        "Who rated, against the quota of the subject's org type (机关 55/35/10).",
        &["cube_categories", "subjects"],
        |i| {
            let plan = composition::composition(i.cfg, i.lazy("cube_categories")?, i.lazy("subjects")?)?;
            Ok(Plan::Lazy(plan))
        },
        columns("
            subject_id     str   the rated organization or cadre
            period         str   the evaluation period
            org_type       str   the subject's org type, whose quotas apply
            quota_group    str   the quota group of rater categories
            n              u32   ratings from the group (0 when it did not rate)
            valid          u32   valid ratings from the group
            satisfied      u32   satisfied ratings from the group
            share          f64   the group's share of the subject-period's ratings
            quota          f64   the configured quota of the group
            deviation      f64   share − quota
            max_deviation  f64   the largest absolute deviation of the subject-period
            compliant      bool  max_deviation within the org type's tolerance
        "),
    )
}

#[rustfmt::skip] // the columns as a text table
fn breaches() -> Metric {
    metric(
        "breaches",
        "subject × assessment window",
        "The 诫勉谈话 rule broken (default: one evaluation below 60% or two below 70%; an evaluation is a period of the year, or the pooled year, per subject kind: breach.window), with evidence.",
        &["subject_period", "grades", "subjects"],
        |i| {
            let (sp, g, s) = (i.lazy("subject_period")?, i.lazy("grades")?, i.lazy("subjects")?);
            Ok(Plan::Lazy(breaches::breaches(i.cfg, sp, g, s)))
        },
        columns("
            subject_id       str     the subject that broke a rule
            window           str     the assessment window (the year)
            rule_window      str     what one evaluation is for the subject's kind (breach.window): period (the window's periods are counted) or year (the pooled year; a rule × T counts the T years ending at the window)
            rule             str     the rules broken, as `below 60% × 1`, joined by `; `
            threshold        f64     the highest threshold broken; the evaluations below it (within the span of the rule broken at it) are listed
            evidence         str     certain: some broken rule holds on evaluations whose whole interval is below its threshold, each on at least rules.min_raters people (证据充分); thin: every listed evaluation rests on fewer people; else likely
            periods          [str]   the evaluations below the threshold, in order: periods (2012Q3), or pooled years (2011, 2012)
            rates            [f64]   their rates
            valid            [u32]   their valid ratings
            raters           [u32]   their people (distinct responses with a valid rating)
            ci_low           [f64]   their intervals' lower bounds (Wilson on n_eff)
            ci_high          [f64]   their intervals' upper bounds
            period_evidence  [str]   per period against the threshold: thin (fewer than rules.min_raters people), certain (interval below), likely (rate below, interval straddles)
            action           str     the configured action (诫勉谈话)
        "),
    )
}

#[rustfmt::skip] // the columns as a text table
fn cases() -> Metric {
    metric(
        "cases",
        "certain breach (subject × window)",
        "诫勉谈话 cases: every breach on certain evidence opens one, with the leader who holds the talk, a due date in working days and the status from the case sheet (case_records).",
        &["breaches", "subjects", "case_records"],
        |i| {
            let cal = i.cfg.calendar.load()?;
            let (b, s, r) = (i.lazy("breaches")?, i.lazy("subjects")?, i.lazy("case_records")?);
            Ok(Plan::Frame(cases::cases(i.cfg, &cal, b, s, r, i.as_of)?))
        },
        columns("
            case_id      str     案件编号: window-subject_id (2012-ZZ0131), the same on every compute
            subject_id   str     the subject the breach concerns
            name         str     its name
            kind         str     组织 or 干部
            unit         str     a cadre's organization (所属组织); an organization's village, else its township
            position     str     a cadre's position
            township     str     its township
            org_type     str     its org type, which decides the leader
            window       str     the assessment window (the year)
            rule         str     the rules broken, as breaches says
            evidence     str     certain (a likely or thin breach opens no case)
            periods      [str]   the periods below the threshold
            rates        [f64]   their rates
            leader       str     who holds the talk: cases.leaders by org type ({township} filled in), else cases.default_leader (县委组织部)
            opened_on    date    the day after the breach's last listed period ends, or the as-of date when earlier
            due          date    opened_on + cases.due_workdays working days (the working-day calendar)
            status       str     待谈话 (default), 已谈话 or 不予谈话, from the latest case record
            held_on      date    the day the talk was held
            outcome      str     what the talk concluded
            reason       str     why no talk is held (不予谈话)
            interviewer  str     who held the talk
            overdue      bool    待谈话 and due before the as-of date
        "),
    )
}

#[rustfmt::skip] // the columns as a text table
fn watchlist() -> Metric {
    metric(
        "watchlist",
        "subject × period in the open window",
        "Subjects one evaluation away from a rule in the latest assessment window with evaluations up to the as-of date, and whether that window is still open.",
        &["subject_period", "grades", "subjects"],
        |i| {
            let (sp, g, s) = (i.lazy("subject_period")?, i.lazy("grades")?, i.lazy("subjects")?);
            Ok(Plan::Lazy(breaches::watchlist(i.cfg, sp, g, s, i.as_of)))
        },
        columns("
            subject_id  str   the subject watched
            window      str   the latest assessment window with evaluations up to the as-of date
            rule_window str   period or year, as for breaches (breach.window of the subject's kind)
            period      str   the evaluation below the threshold: a period, or a pooled year
            rate        f64   its rate
            valid       u32   its valid ratings
            raters      u32   its people (distinct responses with a valid rating)
            ci_low      f64   Wilson 95% interval on n_eff: lower bound
            ci_high     f64   Wilson 95% interval on n_eff: upper bound
            evidence    str   certain, likely or thin (fewer than rules.min_raters people), as for breaches
            status      str   open: the window holds the as-of date (one more evaluation below triggers the rule); closed: the as-of date is after the window's last day and the rule did not fire (评议期已结束，未触发); carries: closed, but this is the window's own pooled year, which the next year's window still counts
        "),
    )
}

#[rustfmt::skip] // the columns as a text table
fn grades() -> Metric {
    metric(
        "grades",
        "subject × assessment window",
        "The annual rate of each subject and its configured grade band (结果运用).",
        &["cube_categories", "clusters"],
        |i| Ok(Plan::Lazy(breaches::grades(i.cfg, i.lazy("cube_categories")?, i.lazy("clusters")?))),
        columns("
            subject_id  str   the rated organization or cadre
            window      str   the assessment window (the year)
            valid       u32   valid ratings in the window
            raters      u32   people: distinct responses with a valid rating in the window
            n_eff       f64   effective n with forms as clusters, as subject_period's
            satisfied   u32   satisfied ratings in the window
            rate        f64   satisfied / valid; null when nothing is valid
            ci_low      f64   Wilson 95% interval of rate on n_eff: lower bound
            ci_high     f64   Wilson 95% interval of rate on n_eff: upper bound
            grade       str   the highest band whose minimum the rate reaches (优秀, 良好 …); null on fewer than rules.min_raters people (不评定等次)
        "),
    )
}

#[rustfmt::skip] // the columns as a text table
fn ledger_summary() -> Metric {
    metric(
        "ledger_summary",
        "level × group",
        "The rectification ledger (整改销号台账) by subject, township, category and county.",
        &["suggestions", "subjects"],
        |i| {
            let cal = i.cfg.calendar.load()?;
            let plan = ledger::ledger_summary(i.lazy("suggestions")?, i.lazy("subjects")?, &cal, i.as_of)?;
            Ok(Plan::Lazy(plan))
        },
        columns("
            level                 str   subject, township, category or county
            group                 str   the group within the level (全县 for the county)
            suggestions           u32   ledger items
            closed                u32   items closed (已销号)
            closure_rate          f64   closed / suggestions
            overdue               u32   items not closed whose deadline fell due before the as-of date (a deadline on a day off falls due on the next working day of the calendar)
            median_days_to_close  f64   median days from receipt to closing, over closed items
            answered_on_spot      u32   items answered at the meeting itself
        "),
    )
}

#[rustfmt::skip] // the columns as a text table
fn headline() -> Metric {
    metric(
        "headline",
        "one row",
        "The headline figures of the whole warehouse.",
        &["people", "cube_categories", "suggestions", "clusters"],
        |i| {
            let (people, cube) = (i.lazy("people")?, i.lazy("cube_categories")?);
            let (suggestions, sums) = (i.lazy("suggestions")?, i.lazy("clusters")?);
            Ok(Plan::Lazy(ledger::headline(people, cube, suggestions, sums)))
        },
        columns("
            people_identified  u32   distinct rater keys (ratings without a rater id count as one)
            ratings            u32   every rating stored
            valid              u32   valid ratings (not 不了解)
            raters             u32   people: distinct responses with a valid rating
            n_eff              f64   effective n of rate with forms as clusters, as subject_period's
            subjects_rated     u32   subjects with at least one rating
            rate               f64   satisfied / valid over every rating
            ci_low             f64   Wilson 95% interval of rate on n_eff: lower bound
            ci_high            f64   Wilson 95% interval of rate on n_eff: upper bound
            suggestions        u32   ledger items
        "),
    )
}

#[rustfmt::skip] // the columns as a text table
fn trends() -> Metric {
    metric(
        "trends",
        "level × group (subjects included)",
        "Change against the previous period and, with 4 periods or more, the Mann-Kendall test, Sen's slope and Benjamini-Hochberg q over each level's tests.",
        &["subject_period", "group_period"],
        |i| {
            let (sp, gp) = (i.frame("subject_period")?, i.frame("group_period")?);
            Ok(Plan::Frame(trends::trends(sp, gp)?))
        },
        columns("
            level        str   subject, or a level of group_period
            group        str   the subject_id, or the group within the level
            n_periods    u32   periods with a rate
            last_period  str   the latest of them
            rate_last    f64   the rate in the latest period
            delta_last   f64   change against the previous period, in percentage points
            mk_s         f64   Mann-Kendall S
            mk_var_s     f64   variance of S, tie-corrected
            mk_z         f64   Mann-Kendall Z
            mk_p         f64   two-sided p-value
            mk_q         f64   Benjamini-Hochberg q of mk_p among the level's rows with a p-value
            tau          f64   Kendall's tau
            sen_slope    f64   Sen's slope, rate per period
            declining    bool  q < 0.05 and a negative slope
        "),
    )
}

#[rustfmt::skip] // the columns as a text table
fn subject_detail() -> Metric {
    let mut cols = columns("
        subject_id  str   the rated organization or cadre
        window      str   the assessment window (the year)
        dimension   str   item or rater_category
        group       str   the item or the rater category
        raters      u32   for an item its ratings; for a rater category its distinct responses
    ");
    cols.extend(rate_columns());
    metric(
        "subject_detail",
        "subject × window × item or rater category",
        "What a unit card shows: each subject's year by item and by rater category.",
        &["cube", "cube_categories", "raters_by_category"],
        |i| {
            let (cube, categories) = (i.lazy("cube")?, i.lazy("cube_categories")?);
            let plan = rates::subject_detail(cube, categories, i.lazy("raters_by_category")?);
            Ok(Plan::Lazy(plan))
        },
        cols,
    )
}

#[rustfmt::skip] // the columns as a text table
fn dont_know() -> Metric {
    metric(
        "dont_know",
        "subject × period",
        "How often raters answered 不了解 (don't know): a subject people cannot judge is one they do not see.",
        &["cube_categories"],
        |i| Ok(Plan::Lazy(rates::dont_know(i.lazy("cube_categories")?))),
        columns("
            subject_id  str   the rated organization or cadre
            period      str   the evaluation period
            answers     u32   every rating, valid or not
            dont_know   u32   ratings at an abstain level of the scale (不了解)
            share       f64   dont_know / answers
        "),
    )
}

#[rustfmt::skip] // the columns as a text table
fn integrity() -> Metric {
    metric(
        "integrity",
        "check × unit × window",
        "The integrity audit (评议真实性核查): stuffed keys, device and collector bursts, straight-lining and the method effect, each flag 需核实 before anyone is judged; nothing is removed.",
        &["ratings", "method_cells", "key_stuffing", "key_busy_days", "straight_counts"],
        |i| {
            let found = audit::pass::Findings {
                stuffed: i.frame("key_stuffing")?.clone(),
                busy: i.frame("key_busy_days")?.clone(),
                straight: i.frame("straight_counts")?.clone(),
            };
            Ok(Plan::Frame(audit::integrity(i.cfg, i.lazy("ratings")?, i.lazy("method_cells")?, &found)?))
        },
        columns("
            check       str   duplicate_key, busy_key, burst, off_hours, straight_lining or method_effect (README: Compute)
            unit        str   what the row is about: rater_key, device, collector, channel, subject or subject_kind
            unit_id     str   the rater key (hash), device id, collector, channel, subject id or kind (组织/干部)
            subject_id  str   the subject the check concerns; null for checks not about one subject
            window      str   the period, the day (bursts, busy keys) or the year (method effect) counted in
            first_at    str   the first rating counted (day and time when known)
            last_at     str   the last rating counted
            n           u32   what is counted: forms of the key, subjects of the day, votes, forms tested, face-to-face people
            threshold   f64   the configured limit the count exceeds (rule checks); null for tests
            share       f64   the tested share: forms all at the top level; the face-to-face rate
            baseline    f64   what it is compared with: the others' share; the random draw's rate
            baseline_n  u32   forms or people behind the baseline
            gap_pp      f64   (share − baseline) in percentage points
            z           f64   the method effect's two-proportion z on clustered variances
            p           f64   one-sided p of the test (binomial upper tail; normal upper tail)
            q           f64   Benjamini-Hochberg q within the check (and unit kind for the method effect)
            flagged     bool  needs verification (需核实): a rule's limit exceeded, or q < alpha with the configured gap
            note        str   the finding in words, for the reports
        "),
    )
}

#[rustfmt::skip] // the columns as a text table
fn changes() -> Metric {
    metric(
        "changes",
        "level × group × kind × period compared",
        "Each change of a rate split by collection method (Kitagawa): within methods (同口径) and method mix (评议方式构成).",
        &["cube", "subjects"],
        |i| Ok(Plan::Lazy(changes::changes(i.lazy("cube")?, i.lazy("subjects")?)?)),
        columns("
            level          str   county, township, village, org_type, pioneer_category or subject
            group          str   the group within the level (全县 for the county, the subject_id for a subject)
            kind           str   period (against the previous period with valid ratings) or year (the assessment year against the year before)
            from           str   the earlier period, or year as 2011
            to             str   the later period, or year as 2012
            rate_from      f64   the rate in `from`
            rate_to        f64   the rate in `to`
            delta          f64   rate_to − rate_from, in percentage points
            within_method  f64   Σ over the methods rated in both of (w_from + w_to)/2 · (p_to − p_from), w a method's share of valid ratings and p its rate; percentage points
            method_mix     f64   delta − within_method: the part due to the mix of methods (a method rated in one of the two only counts here wholly)
        "),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::dates::Date;

    #[test]
    fn a_builder_gets_only_the_inputs_its_entry_declares() {
        let cfg = crate::config::parse_str("", "(defaults)", std::path::Path::new("."))
            .expect("defaults");
        let ready = BTreeMap::from([
            ("cube", Input::Frame(DataFrame::empty())),
            ("subjects", Input::Frame(DataFrame::empty())),
        ]);
        let inputs = Inputs {
            cfg: &cfg,
            as_of: Date::new(2012, 12, 31).expect("a date"),
            metric: "dont_know",
            declared: &["cube"],
            ready: &ready,
        };
        assert!(inputs.lazy("cube").is_ok());
        let e = inputs
            .lazy("subjects")
            .err()
            .expect("undeclared")
            .to_string();
        assert!(e.contains("does not list"), "{e}");
    }

    #[test]
    fn names_are_unique_and_columns_declared_once() {
        let all = catalog();
        for (i, t) in all.iter().enumerate() {
            assert!(
                all[..i].iter().all(|u| u.name != t.name),
                "{} twice",
                t.name
            );
            let cols: Vec<_> = t.columns.iter().map(|c| c.name).collect();
            for (j, c) in cols.iter().enumerate() {
                assert!(!cols[..j].contains(c), "{}.{c} twice", t.name);
            }
        }
    }
}
