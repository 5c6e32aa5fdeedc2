-- The watchlist of one assessment year: subjects with exactly one evaluation below 70% (a period, or a cadre's pooled year), and whether one more still triggers 诫勉谈话 (status open) or the window ended without triggering (closed; carries: a pooled year next year still counts).
-- param: year — the assessment year, e.g. 2012
-- example: year=2012
with watched as (
    select subject_id, rule_window, period, rate, valid, raters, ci_low, ci_high, evidence, status
    from watchlist
    where "window" = cast(:year as string)
),
named as (
    select w.subject_id, s.name, s.kind, s.township, w.rule_window, w.period, w.rate, w.valid, w.raters, w.ci_low, w.ci_high, w.evidence, w.status
    from watched as w
    left join subjects as s on s.subject_id = w.subject_id
)
select * from named
order by township nulls last, subject_id
