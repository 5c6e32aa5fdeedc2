-- The watchlist of one assessment year: subjects with exactly one period below 70% (one more triggers 诫勉谈话).
-- param: year — the assessment year, e.g. 2012
-- example: year=2012
with watched as (
    select subject_id, period, rate, valid, raters, ci_low, ci_high, evidence
    from watchlist
    where "window" = cast(:year as string)
),
named as (
    select w.subject_id, s.name, s.kind, s.township, w.period, w.rate, w.valid, w.raters, w.ci_low, w.ci_high, w.evidence
    from watched as w
    left join subjects as s on s.subject_id = w.subject_id
)
select * from named
order by township nulls last, subject_id
