-- The 诫勉谈话 list of one assessment year: who broke the rule, in which periods, on what evidence (certain = 证据充分; periods, rates, raters and period_evidence are lists in period order).
-- param: year — the assessment year, e.g. 2012
-- example: year=2012
with breaches_of_year as (
    select subject_id, rule, evidence, periods, rates, raters, period_evidence, action
    from breaches
    where "window" = cast(:year as string)
),
named as (
    select b.subject_id, s.name, s.kind, s.township, s.org_type, b.rule, b.evidence, b.periods, b.rates, b.raters,
           b.period_evidence, b.action
    from breaches_of_year as b
    left join subjects as s on s.subject_id = b.subject_id
)
select * from named
order by township nulls last, subject_id
