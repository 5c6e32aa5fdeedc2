-- What a unit card shows: each subject's rates per assessment year by evaluation item and by rater category.
-- inputs: ratings
-- output: subject_id, window, dimension, group, raters, valid, satisfied, abstained, score_mean, rate, ci_low, ci_high
-- grain: subject × window × dimension ('item' or 'rater_category') × group (the item or the category)
-- key: subject_id, window, dimension, group
-- definitions: as subject_period (rate = satisfied / valid, Wilson 95% interval, z² = 3.8414588206941254);
--   raters: for an item, its ratings (one per response); for a rater category, its distinct responses,
--   counted per period and summed over the window.
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/rates.rs), and tests/it/metrics_sql.rs
--   holds it equal to this model. polars' SQL front end runs this model: as `pingyi query` on a million
--   ratings (debug build) it took 3.9 s, where the whole of `pingyi compute` takes 4–5.5 s on the same
--   machine; slower than the builder it would replace, so the builder stays. score_mean with no scored rating
--   is null, as in pingyi.
with dimensions as (
    select 'item' as dimension union all select 'rater_category'
),
keyed as (
    select r.subject_id, substr(r.period, 1, 4) as "window", d.dimension,
           case d.dimension when 'item' then r.item else r.rater_category end as "group",
           r.valid, r.satisfied, r.score
    from ratings as r
    cross join dimensions as d
),
cells as (
    select subject_id, "window", dimension, "group",
           count(case when valid then 1 end) as valid,
           count(case when satisfied then 1 end) as satisfied,
           count(case when not valid then 1 end) as abstained,
           sum(score) / nullif(count(score), 0) as score_mean
    from keyed
    group by subject_id, "window", dimension, "group"
),
per_category as (
    select subject_id, period, rater_category, count(distinct response_id) as raters
    from ratings
    group by subject_id, period, rater_category
),
category_raters as (
    select subject_id, substr(period, 1, 4) as "window", 'rater_category' as dimension,
           rater_category as "group", cast(sum(raters) as bigint) as raters
    from per_category
    group by subject_id, substr(period, 1, 4), rater_category
),
counted as (
    select c.*, coalesce(n.raters, c.valid + c.abstained) as raters,
           case when c.valid > 0 then cast(c.satisfied as double) / c.valid end as rate
    from cells as c
    left join category_raters as n
      on n.subject_id = c.subject_id and n."window" = c."window"
     and n.dimension = c.dimension and n."group" = c."group"
),
wilson as (
    -- n_valid is null where nothing is valid: no interval (and no division by zero)
    select *,
           {{ wilson_centre(rate, n_valid) }} as centre,
           {{ wilson_half(rate, n_valid) }} as half
    from (select *, cast(nullif(valid, 0) as double) as n_valid from counted) as t
)
select subject_id, "window", dimension, "group", raters, valid, satisfied, abstained, score_mean, rate,
       case when centre - half < 0.0 then 0.0 else centre - half end as ci_low,
       case when centre + half > 1.0 then 1.0 else centre + half end as ci_high
from wilson
order by subject_id, "window", dimension, "group" nulls first
