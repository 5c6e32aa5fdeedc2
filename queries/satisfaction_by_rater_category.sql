-- Satisfaction by rater category (评议主体) per year: do deputies, service users and villagers see the same cadres alike?
with by_category as (
    select "group" as rater_category, period as year, valid, satisfied, rate, ci_low, ci_high
    from group_period
    where level = 'rater_category' and span = 'year'
)
select * from by_category
order by year, rate, rater_category
