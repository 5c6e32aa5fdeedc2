-- Townships (乡镇) ranked by their annual satisfaction rate, with the number of 诫勉谈话 breaches among their subjects.
-- param: year — the assessment year, e.g. 2012
-- example: year=2012
with rates as (
    select "group" as township, valid, rate, ci_low, ci_high
    from group_period
    where level = 'township' and span = 'year' and period = cast(:year as string)
),
breach_counts as (
    select s.township, count(*) as breaches
    from breaches as b
    join subjects as s on s.subject_id = b.subject_id
    where b."window" = cast(:year as string)
    group by s.township
),
ranked as (
    select row_number() over (order by -r.rate, r.township) as place,
           r.township, r.valid, r.rate, r.ci_low, r.ci_high,
           coalesce(b.breaches, 0) as breaches
    from rates as r
    left join breach_counts as b on b.township = r.township
)
select * from ranked
order by place
