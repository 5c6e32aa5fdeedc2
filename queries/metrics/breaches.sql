-- The 诫勉谈话 list (结果运用): subjects whose periods fell below a breach rule in an assessment year (seed: one period below 60% or two below 70%).
-- inputs: subject_period, params_breach_rules, params_run
-- output: subject_id, window, rule, periods, rates, valid_n, intervals, evidence, action
-- grain: subject × assessment window (the year, the first four characters of the period) that breaks a rule
-- key: subject_id, window
-- definitions: a rule "below B × T" is broken when at least T periods of the window have rate < B (strictly:
--   a rate of exactly 60.0% is not below 60%; a period below 60% also counts as below 70%). `rule` names
--   every broken rule in configured order ("; "-separated); the listed periods are those below the highest
--   broken threshold, in period order, with their rate and interval rounded to 4 places, valid n, and
--   evidence: `thin` (valid < breach.min_valid), `certain` (the interval's upper bound is below the
--   threshold), else `likely` (the rate is below, the interval straddles).
-- parameters: params_breach_rules(rule_no, below, times, label) from breach.rules;
--   params_run(min_valid, action, basis) from [breach].
-- portability: the ordered lists are built with one slot per period (at most 12 in a window: months) and
--   per rule (at most 6), because DuckDB and Spark spell an ordered string_agg differently; the runners
--   refuse a warehouse or configuration beyond those bounds.
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/breaches.rs), and tests/it/metrics_sql.rs
--   holds it equal to this model. polars' SQL front end runs this model: as `pingyi query` on a million
--   ratings (debug build) it took 0.20 s, where the whole of `pingyi compute` takes 4–5.5 s on the same
--   machine; a separate process, start-up included; not yet tried inside `pingyi compute`, where the builder
--   is one of several plans polars runs together (the trends trial there was slower), so the builder stays.
with judged as (
    -- The rate a breach is judged on: raw (as counted by hand, the default) or post-stratified
    -- (breach.basis), with its interval; valid stays the raw count for the `thin` label.
    select s.subject_id, s.period, substr(s.period, 1, 4) as "window", s.valid,
           case when p.basis = 'post_stratified' then s.rate_ps else s.rate end as rate,
           case when p.basis = 'post_stratified' then s.ps_ci_low else s.ci_low end as ci_low,
           case when p.basis = 'post_stratified' then s.ps_ci_high else s.ci_high end as ci_high
    from subject_period as s
    cross join params_run as p
),
counted as (
    -- Per subject, window and rule: how many periods fell below the rule's threshold.
    select j.subject_id, j."window", b.rule_no, b.below, b.times, b.label,
           count(case when j.rate < b.below then 1 end) as below_n
    from judged as j
    cross join params_breach_rules as b
    where j.rate is not null
    group by j.subject_id, j."window", b.rule_no, b.below, b.times, b.label
),
broken as (
    select subject_id, "window",
           concat_ws('; ',
               max(case when rule_no = 1 then label end),
               max(case when rule_no = 2 then label end),
               max(case when rule_no = 3 then label end),
               max(case when rule_no = 4 then label end),
               max(case when rule_no = 5 then label end),
               max(case when rule_no = 6 then label end)) as rule,
           max(below) as threshold
    from counted
    where below_n >= times
    group by subject_id, "window"
),
listed as (
    select j.subject_id, j."window", j.period, j.rate, j.valid, j.ci_low, j.ci_high, b.rule, b.threshold,
           p.min_valid, p.action,
           row_number() over (partition by j.subject_id, j."window" order by j.period) as slot
    from judged as j
    join broken as b on b.subject_id = j.subject_id and b."window" = j."window"
    cross join params_run as p
    where j.rate < b.threshold
),
shown as (
    select subject_id, "window", rule, action, slot, period,
           cast(round(rate, 4) as string) as rate_text,
           cast(valid as string) as valid_text,
           '[' || cast(round(ci_low, 4) as string) || ', ' || cast(round(ci_high, 4) as string) || ']'
               as interval_text,
           case when valid < min_valid then 'thin'
                when ci_high < threshold then 'certain'
                else 'likely'
           end as evidence
    from listed
)
select subject_id, "window", max(rule) as rule,
       concat_ws(',',
           max(case when slot = 1 then period end),
           max(case when slot = 2 then period end),
           max(case when slot = 3 then period end),
           max(case when slot = 4 then period end),
           max(case when slot = 5 then period end),
           max(case when slot = 6 then period end),
           max(case when slot = 7 then period end),
           max(case when slot = 8 then period end),
           max(case when slot = 9 then period end),
           max(case when slot = 10 then period end),
           max(case when slot = 11 then period end),
           max(case when slot = 12 then period end)) as periods,
       concat_ws(',',
           max(case when slot = 1 then rate_text end),
           max(case when slot = 2 then rate_text end),
           max(case when slot = 3 then rate_text end),
           max(case when slot = 4 then rate_text end),
           max(case when slot = 5 then rate_text end),
           max(case when slot = 6 then rate_text end),
           max(case when slot = 7 then rate_text end),
           max(case when slot = 8 then rate_text end),
           max(case when slot = 9 then rate_text end),
           max(case when slot = 10 then rate_text end),
           max(case when slot = 11 then rate_text end),
           max(case when slot = 12 then rate_text end)) as rates,
       concat_ws(',',
           max(case when slot = 1 then valid_text end),
           max(case when slot = 2 then valid_text end),
           max(case when slot = 3 then valid_text end),
           max(case when slot = 4 then valid_text end),
           max(case when slot = 5 then valid_text end),
           max(case when slot = 6 then valid_text end),
           max(case when slot = 7 then valid_text end),
           max(case when slot = 8 then valid_text end),
           max(case when slot = 9 then valid_text end),
           max(case when slot = 10 then valid_text end),
           max(case when slot = 11 then valid_text end),
           max(case when slot = 12 then valid_text end)) as valid_n,
       concat_ws(',',
           max(case when slot = 1 then interval_text end),
           max(case when slot = 2 then interval_text end),
           max(case when slot = 3 then interval_text end),
           max(case when slot = 4 then interval_text end),
           max(case when slot = 5 then interval_text end),
           max(case when slot = 6 then interval_text end),
           max(case when slot = 7 then interval_text end),
           max(case when slot = 8 then interval_text end),
           max(case when slot = 9 then interval_text end),
           max(case when slot = 10 then interval_text end),
           max(case when slot = 11 then interval_text end),
           max(case when slot = 12 then interval_text end)) as intervals,
       concat_ws(',',
           max(case when slot = 1 then evidence end),
           max(case when slot = 2 then evidence end),
           max(case when slot = 3 then evidence end),
           max(case when slot = 4 then evidence end),
           max(case when slot = 5 then evidence end),
           max(case when slot = 6 then evidence end),
           max(case when slot = 7 then evidence end),
           max(case when slot = 8 then evidence end),
           max(case when slot = 9 then evidence end),
           max(case when slot = 10 then evidence end),
           max(case when slot = 11 then evidence end),
           max(case when slot = 12 then evidence end)) as evidence,
       max(action) as action
from shown
group by subject_id, "window"
order by "window", subject_id
