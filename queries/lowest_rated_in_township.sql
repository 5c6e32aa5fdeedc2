-- The lowest-rated subjects of one township in one year, with the raters their rate rests on.
-- param: township — 乡镇 name, e.g. 中枢镇, or 县直单位 for the county bodies (subject_groups)
-- param: year — the assessment year, e.g. 2012
-- param: n — how many to list
-- example: township=金马镇 year=2012 n=7
with graded as (
    select g.subject_id, s.name, s.kind, g.raters, g.valid, g.rate, g.grade
    from grades as g
    join subjects as s on s.subject_id = g.subject_id
    join subject_groups as t on t.subject_id = g.subject_id
    where t.township = :township and g."window" = cast(:year as string) and g.rate is not null
)
select * from graded
order by rate, subject_id
limit :n
