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
with kinds as (
    -- Each subject's rule window: its kind's breach.window (period or year).
    select s.subject_id, w.rule_window
    from subjects as s
    join params_rule_window as w on w.kind = case when s.kind = '干部' then '干部' else '组织' end
),
judged as (
    -- The evaluations: periods (on breach.basis: raw, as counted by hand, or post-stratified) for kinds
    -- counted by period; pooled years (raw; the configuration refuses post_stratified with year) in each
    -- window they count in, for kinds counted by year.
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
    -- Per subject, window and rule: how many evaluations the rule counts fell below its threshold, and
    -- how many of them certainly (enough people, the whole interval below).
    select j.subject_id, j."window", b.rule_no, b.below, b.times, b.label,
           count(case when j.year_offset < b.times and j.rate < b.below then 1 end) as below_n,
           count(case when j.year_offset < b.times and j.rate < b.below and j.raters >= p.min_raters
                       and j.ci_high < b.below then 1 end) as certain_n
    from judged as j
    cross join params_breach_rules as b
    cross join params_run as p
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
