-- The 诫勉谈话 list of one assessment year: who broke the rule, in which periods, on what evidence.
-- param: year — the assessment year, e.g. 2012
-- example: year=2012
with breaches_of_year as (
    select subject_id, rule, periods, rates, valid_n, evidence, action
    from breaches
    where "window" = cast(:year as string)
),
named as (
    select b.subject_id, s.name, s.kind, s.township, s.org_type, b.rule, b.periods, b.rates, b.valid_n, b.evidence, b.action
    from breaches_of_year as b
    left join subjects as s on s.subject_id = b.subject_id
)
select * from named
order by township nulls last, subject_id
