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
with {{ include(evaluations) }},
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
