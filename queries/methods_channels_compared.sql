-- The three methods (民情恳谈, 随机抽查, 群众测评) and their channels compared in one year: forms, valid ratings, rate.
-- param: year — the assessment year, e.g. 2012
-- example: year=2012
with of_year as (
    select method, channel, response_id, valid, satisfied
    from ratings
    where substr(period, 1, 4) = cast(:year as string)
),
compared as (
    select method, channel,
           count(distinct response_id) as forms,
           sum(case when valid then 1 else 0 end) as valid,
           sum(case when satisfied then 1 else 0 end) as satisfied
    from of_year
    group by method, channel
)
select method, channel, forms, valid, satisfied,
       case when valid > 0 then cast(satisfied as double) / valid end as rate
from compared
order by method, channel
