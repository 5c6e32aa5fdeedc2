-- The evaluations breaches and watchlist judge, and how many of them each rule counts below its threshold
-- (included by both with {{ include(evaluations) }}: CTEs kinds, judged, counted).
-- inputs it reads: subject_period, grades, subjects, params_breach_rules, params_rule_window, params_offsets,
--   params_run (basis, min_raters).
-- judged: per subject kind (params_rule_window from breach.window), `period`: each period of subject_period
--   (on breach.basis: raw, or post-stratified) is one evaluation in the window of its year (offset 0);
--   `year`: the pooled year of grades (raw; the configuration refuses post_stratified with year) is one
--   evaluation, counted in its own window (offset 0) and the next ones (offset 1 … max times − 1,
--   params_offsets).
-- counted: per subject, window and rule, below_n = the evaluations the rule counts (offset < times) with
--   rate < below; certain_n = those of them on at least rules.min_raters people with the interval's upper
--   bound below too.
kinds as (
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
)
