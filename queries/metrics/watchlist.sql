-- The watchlist: subjects one period away from a breach rule in the assessment year of the as-of date (seed: exactly one period below 70%, none below 60%).
-- inputs: subject_period, params_breach_rules, params_run
-- output: subject_id, window, period, rate, valid, raters, ci_low, ci_high, evidence
-- grain: subject × period below the highest threshold, for the subjects watched in the open window
-- key: subject_id, period
-- definitions: a subject-window is watched when it breaks no rule and some rule with times > 1 has exactly
--   times − 1 periods below it; the open window is the year of the as-of date. Each listed period has
--   rate < the highest threshold (70%); evidence as in breaches' period_evidence, against that threshold:
--   thin (raters < rules.min_raters), certain (interval below), likely.
-- parameters: params_breach_rules from breach.rules; params_run(as_of, min_raters, basis).
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/breaches.rs), and tests/it/metrics_sql.rs
--   holds it equal to this model. polars' SQL front end runs this model: as `pingyi query` on a million
--   ratings (debug build) it took 0.10 s, where the whole of `pingyi compute` takes 4–5.5 s on the same
--   machine; a separate process, start-up included; not yet tried inside `pingyi compute`, where the builder
--   is one of several plans polars runs together (the trends trial there was slower), so the builder stays.
with judged as (
    -- The rate a breach is judged on: raw (as counted by hand, the default) or post-stratified
    -- (breach.basis), with its interval; the people (raters) decide `thin`.
    select s.subject_id, s.period, substr(s.period, 1, 4) as "window", s.valid, s.raters,
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
windows as (
    select subject_id, "window",
           max(case when below_n >= times then 1 else 0 end) as broken,
           max(case when times > 1 and below_n = times - 1 then 1 else 0 end) as near
    from counted
    group by subject_id, "window"
),
watched as (
    select w.subject_id, w."window"
    from windows as w
    cross join params_run as p
    where w."window" = substr(cast(p.as_of as string), 1, 4) and w.near = 1 and w.broken = 0
),
highest as (
    select max(below) as threshold
    from params_breach_rules
),
listed as (
    select j.subject_id, j."window", j.period, j.rate, j.valid, j.raters, j.ci_low, j.ci_high, t.threshold, p.min_raters
    from judged as j
    join watched as w on w.subject_id = j.subject_id and w."window" = j."window"
    cross join highest as t
    cross join params_run as p
    where j.rate < t.threshold
)
select subject_id, "window", period, rate, valid, raters, ci_low, ci_high,
       case when raters < min_raters then 'thin'
                when ci_high < threshold then 'certain'
                else 'likely'
           end as evidence
from listed
order by subject_id, period
