-- Suggestions (意见建议) by category: how many, how many closed (已销号), answered on the spot, still open, overdue as of a date.
-- param: as_of — the date, YYYY-MM-DD
-- example: as_of=2012-12-31
with items as (
    select category,
           case when status = '已销号' then 1 else 0 end as closed,
           case when answered_on_spot then 1 else 0 end as on_spot,
           case when status <> '已销号' and deadline < :as_of then 1 else 0 end as overdue
    from suggestions
),
by_category as (
    select category,
           count(*) as suggestions,
           sum(closed) as closed,
           cast(sum(closed) as double) / count(*) as closure_rate,
           sum(on_spot) as answered_on_spot,
           count(*) - sum(closed) as still_open,
           sum(overdue) as overdue
    from items
    group by category
)
select * from by_category
order by suggestions desc, category
