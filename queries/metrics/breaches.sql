-- The 诫勉谈话 list (结果运用): subjects whose evaluations fell below a breach rule (seed: one below 60% or two below 70%).
-- inputs: subject_period, grades, subjects, params_breach_rules, params_rule_window, params_offsets, params_run
-- output: subject_id, window, rule_window, rule, threshold, evidence, periods, rates, valid, raters, ci_low, ci_high, period_evidence, action
-- grain: subject × assessment window (the year, the first four characters of the period) that breaks a rule
-- key: subject_id, window
-- evaluations: per subject kind (params_rule_window from breach.window), `period`: each period of subject_period is
--   one evaluation in the window of its year (offset 0); `year`: the pooled year of grades (rate, raters, clustered
--   interval) is one evaluation, counted in its own window (offset 0) and the next ones (offset 1 … max times − 1,
--   params_offsets); a rule "below B × T" counts the evaluations with offset < T (T consecutive years for `year`).
-- definitions: a rule "below B × T" is broken when at least T evaluations it counts have rate < B (strictly:
--   a rate of exactly 60.0% is not below 60%; a period below 60% also counts as below 70%). `rule` names
--   every broken rule in configured order ("; "-separated); `threshold` is the highest broken B; the listed
--   evaluations are those below it that the broken rule(s) at that B count, as lists in period order: rate, valid, raters (people), interval bounds and
--   period_evidence: `thin` (raters < rules.min_raters), `certain` (the interval's upper bound is below the
--   threshold), else `likely` (the rate is below, the interval straddles). The breach's `evidence` is
--   `certain` when some broken rule has at least T periods each on at least rules.min_raters people with
--   the interval's upper bound below its B (证据充分), `thin` when every listed period is thin, else `likely`.
-- parameters: params_breach_rules(rule_no, below, times, label) from breach.rules; params_rule_window(kind,
--   rule_window) and params_offsets(year_offset) from breach.window and the rules' largest times;
--   params_run(min_raters, action, basis) from [rules] and [breach].
-- portability: the rules' labels are joined with one slot per rule (at most 6; the runners refuse more);
--   the period lists are the macro ordered_list, which the runner spells per engine (DuckDB's ordered
--   list(), Spark's sorted collect_list of structs).
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/breaches.rs), and tests/it/metrics_sql.rs
--   holds it equal to this model. polars' SQL front end runs this model: as `pingyi query` on a million
--   ratings (debug build) it took 0.20 s (with text lists, before they were list columns), where the whole
--   of `pingyi compute` takes 4–5.5 s on the same machine; a separate process, start-up included; not yet
--   tried inside `pingyi compute`, where the builder is one of several plans polars runs together (the
--   trends trial there was slower), so the builder stays.
with {{ include(evaluations) }},
broken as (
    select subject_id, "window",
           {{ rule_labels(rule_no, label) }} as rule,
           max(below) as threshold,
           max(case when certain_n >= times then 1 else 0 end) as certain
    from counted
    where below_n >= times
    group by subject_id, "window"
),
spanned as (
    -- How many years back the rule(s) broken at the highest threshold count.
    select b.subject_id, b."window", b.rule, b.threshold, b.certain, max(c.times) as span
    from broken as b
    join counted as c on c.subject_id = b.subject_id and c."window" = b."window"
                     and c.below = b.threshold and c.below_n >= c.times
    group by b.subject_id, b."window", b.rule, b.threshold, b.certain
),
listed as (
    select j.subject_id, j."window", j.rule_window, j.period, j.rate, j.valid, j.raters, j.ci_low, j.ci_high,
           b.rule, b.threshold, b.certain, p.action,
           case when j.raters < p.min_raters then 'thin'
                when j.ci_high < b.threshold then 'certain'
                else 'likely'
           end as period_evidence
    from judged as j
    join spanned as b on b.subject_id = j.subject_id and b."window" = j."window"
    cross join params_run as p
    where j.rate < b.threshold and j.year_offset < b.span
)
select subject_id, "window", max(rule_window) as rule_window, max(rule) as rule, max(threshold) as threshold,
       case when max(certain) = 1 then 'certain'
            when max(case when period_evidence <> 'thin' then 1 else 0 end) = 1 then 'likely'
            else 'thin'
       end as evidence,
       {{ ordered_list(period, period) }} as periods,
       {{ ordered_list(rate, period) }} as rates,
       {{ ordered_list(valid, period) }} as valid,
       {{ ordered_list(raters, period) }} as raters,
       {{ ordered_list(ci_low, period) }} as ci_low,
       {{ ordered_list(ci_high, period) }} as ci_high,
       {{ ordered_list(period_evidence, period) }} as period_evidence,
       max(action) as action
from listed
group by subject_id, "window"
order by "window", subject_id
