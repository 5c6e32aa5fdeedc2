-- Villages whose random draw (随机抽查) missed the 2:7:1 ratio of 村组干部 : 普通群众 : 先锋户 in a period by more than a tolerance.
-- param: year — the assessment year, e.g. 2012
-- param: tolerance — allowed gap in any stratum's share, e.g. 0.05 as in [sampling] tolerance
-- example: year=2012 tolerance=0.03
with plan as (
    select '村组干部' as category, 0.2 as planned
    union all
    select '普通群众' as category, 0.7 as planned
    union all
    select '先锋户' as category, 0.1 as planned
),
forms as (
    select distinct rater_village as village, period, response_id, rater_category as category
    from ratings
    where method = '随机抽查' and rater_village is not null and substr(period, 1, 4) = cast(:year as string)
),
drawn as (
    select f.village, f.period,
           sum(case when f.category = '村组干部' then 1 else 0 end) as cadres,
           sum(case when f.category = '普通群众' then 1 else 0 end) as villagers,
           sum(case when f.category = '先锋户' then 1 else 0 end) as pioneers,
           count(*) as total
    from forms as f
    join plan as p on p.category = f.category
    group by f.village, f.period
),
gaps as (
    select village, period, total, cadres, villagers, pioneers,
           cast(cadres as double) / total - 0.2 as cadres_gap,
           cast(villagers as double) / total - 0.7 as villagers_gap,
           cast(pioneers as double) / total - 0.1 as pioneers_gap
    from drawn
),
missed as (
    select *,
           greatest(abs(cadres_gap), abs(villagers_gap), abs(pioneers_gap)) as max_gap
    from gaps
)
select * from missed
where max_gap > :tolerance
order by max_gap desc, village, period
