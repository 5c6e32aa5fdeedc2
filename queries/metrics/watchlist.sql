-- The watchlist: subjects one evaluation away from a breach rule in the latest assessment window with evaluations up to the as-of date (seed: exactly one below 70%, none below 60%), and whether that window is still open.
-- inputs: subject_period, grades, subjects, params_breach_rules, params_rule_window, params_offsets, params_run
-- output: subject_id, window, rule_window, period, rate, valid, raters, ci_low, ci_high, evidence, status
-- grain: subject × evaluation below the highest threshold, for the subjects watched in the latest window
-- key: subject_id, period
-- evaluations: as in breaches (periods, or pooled years counted in the windows they span: params_rule_window,
--   params_offsets).
-- definitions: a subject-window is watched when it breaks no rule and some rule with times > 1 has exactly
--   times − 1 evaluations below it; the watched window is the latest window (up to the as-of year) in which
--   some evaluation was made (offset 0). status: `open` when the window is the as-of year; else `carries`
--   for a pooled year's own evaluation (the next window still counts it), `closed` otherwise (the window
--   ended without triggering: 评议期已结束，未触发). Each listed evaluation has
--   rate < the highest threshold (70%); evidence as in breaches' period_evidence, against that threshold:
--   thin (raters < rules.min_raters), certain (interval below), likely.
-- parameters: params_breach_rules from breach.rules; params_rule_window, params_offsets from breach.window;
--   params_run(as_of, min_raters, basis).
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/breaches.rs), and tests/it/metrics_sql.rs
--   holds it equal to this model. polars' SQL front end runs this model: as `pingyi query` on a million
--   ratings (debug build) it took 0.10 s, where the whole of `pingyi compute` takes 4–5.5 s on the same
--   machine; a separate process, start-up included; not yet tried inside `pingyi compute`, where the builder
--   is one of several plans polars runs together (the trends trial there was slower), so the builder stays.
with kinds as (
    -- Each subject's rule window: its kind's breach.window (period or year).
    select s.subject_id, w.rule_window
    from subjects as s
    join params_rule_window as w on w.kind = case when s.kind = '干部' then '干部' else '组织' end
),
judged as (
    -- The evaluations, as in breaches: periods (on breach.basis) for kinds counted by period, pooled
    -- years in each window they count in for kinds counted by year.
    select s.subject_id, s.period, substr(s.period, 1, 4) as "window", 0 as year_offset, k.rule_window,
           s.valid, s.raters,
           case when p.basis = 'post_stratified' then s.rate_ps else s.rate end as rate,
           case when p.basis = 'post_stratified' then s.ps_ci_low else s.ci_low end as ci_low,
           case when p.basis = 'post_stratified' then s.ps_ci_high else s.ci_high end as ci_high
    from subject_period as s
    join kinds as k on k.subject_id = s.subject_id and k.rule_window = 'period'
    cross join params_run as p
    union all
    select g.subject_id, g."window" as period, cast(cast(g."window" as int) + o.year_offset as string) as "window",
           o.year_offset, k.rule_window, g.valid, g.raters, g.rate, g.ci_low, g.ci_high
    from grades as g
    join kinds as k on k.subject_id = g.subject_id and k.rule_window = 'year'
    cross join params_offsets as o
),
counted as (
    -- Per subject, window and rule: how many evaluations the rule counts fell below its threshold.
    select j.subject_id, j."window", b.rule_no, b.below, b.times, b.label,
           count(case when j.year_offset < b.times and j.rate < b.below then 1 end) as below_n
    from judged as j
    cross join params_breach_rules as b
    where j.rate is not null
    group by j.subject_id, j."window", b.rule_no, b.below, b.times, b.label
),
windows as (
    select subject_id, "window",
           max(case when below_n >= times then 1 else 0 end) as broken,
           max(case when times > 1 and below_n = times - 1 then 1 else 0 end) as near
    from counted
    group by subject_id, "window"
),
latest as (
    -- The latest window an evaluation was made in, up to the as-of year.
    select max(j."window") as "window"
    from judged as j
    cross join params_run as p
    where j.year_offset = 0 and j.rate is not null and j."window" <= substr(cast(p.as_of as string), 1, 4)
),
watched as (
    select w.subject_id, w."window"
    from windows as w
    join latest as l on l."window" = w."window"
    where w.near = 1 and w.broken = 0
),
highest as (
    select max(below) as threshold
    from params_breach_rules
),
listed as (
    select j.subject_id, j."window", j.rule_window, j.period, j.rate, j.valid, j.raters, j.ci_low, j.ci_high,
           t.threshold, p.min_raters,
           case when j."window" >= substr(cast(p.as_of as string), 1, 4) then 'open'
                when j.period = j."window" then 'carries'
                else 'closed'
           end as status
    from judged as j
    join watched as w on w.subject_id = j.subject_id and w."window" = j."window"
    cross join highest as t
    cross join params_run as p
    where j.rate < t.threshold
)
select subject_id, "window", rule_window, period, rate, valid, raters, ci_low, ci_high,
       case when raters < min_raters then 'thin'
                when ci_high < threshold then 'certain'
                else 'likely'
           end as evidence,
       status
from listed
order by subject_id, period
