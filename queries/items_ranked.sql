-- Evaluation items (评议内容) ranked by satisfaction in one year, lowest first: where do the people feel least served?
-- param: year — the assessment year, e.g. 2012
-- example: year=2012
with items as (
    select "group" as item, valid, satisfied, rate, ci_low, ci_high
    from group_period
    where level = 'item' and span = 'year' and period = cast(:year as string) and rate is not null
),
ranked as (
    select row_number() over (order by rate, item) as place,
           item, valid, satisfied, rate, ci_low, ci_high
    from items
)
select * from ranked
order by place
