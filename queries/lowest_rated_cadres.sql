-- The n lowest-rated cadres (干部) of every township in one year, with the raters each rate rests on.
-- param: year — the assessment year, e.g. 2012
-- param: n — how many per township
-- example: year=2012 n=3
-- The township is subject_groups' (the county bodies, 县直单位, as their own group).
with cadres as (
    select g.subject_id, s.name, s.position, t.township, g.raters, g.valid, g.rate, g.grade
    from grades as g
    join subjects as s on s.subject_id = g.subject_id
    join subject_groups as t on t.subject_id = g.subject_id
    where s.kind = '干部' and g."window" = cast(:year as string) and g.rate is not null
),
ranked as (
    select township,
           row_number() over (partition by township order by rate, subject_id) as place,
           subject_id, name, position, raters, valid, rate, grade
    from cadres
)
select * from ranked
where place <= :n
order by township, place
