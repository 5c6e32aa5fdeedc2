-- Satisfaction by group at every level (county, township, village, org type, pioneer category, rater category, method, channel, item), per period and per assessment year.
-- inputs: ratings, subjects, subject_groups
-- output: level, group, span, period, valid, raters, n_eff, satisfied, abstained, score_mean, rate, ci_low, ci_high, rate_std
-- grain: level × group × span × period; span 'period' rows carry the period label (2012Q3), span 'year' rows the year (2012)
-- key: level, group, span, period
-- definitions: as subject_period (valid, satisfied, rate = satisfied / valid; raters = responses with a
--   valid rating in the cell, each a cluster whose m and y sum its ratings in the cell (a form rating two
--   subjects of a township is one cluster of that township); n_eff and the Wilson 95% interval on it, with
--   z = 1.959963984540054, z² = 3.8414588206941254); a group is a value of the level's column of the
--   rating (rater_category, method, channel, item) or of its subject (township, village, org_type,
--   pioneer_category), the township from subject_groups (a county body counts in the county bodies' group
--   县直单位, not its township); the county level has the one group 全县.
--   rate_std, the method-standardized rate = Σ_m W_m·p_m / Σ_m W_m over the methods m with valid ratings in
--   the cell, p_m the cell's rate by method m, W_m the county's share of method m's valid ratings in the
--   assessment year of the cell (so a group rated mostly by the random draw is not ranked high for that alone).
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/rates.rs), and tests/it/metrics_sql.rs
--   holds it equal to this model. polars' SQL front end runs this model: as `pingyi query` on a million
--   ratings (debug build) it took 18 s and 5 GB (it materializes the level × span cross join), where the
--   whole of `pingyi compute` takes 4–5.5 s on the same machine; slower than the builder it would replace, so
--   the builder stays. score_mean with no scored rating is null, as in pingyi.
with rated as (
    select r.period, substr(r.period, 1, 4) as year, r.response_id, r.rater_category, r.method, r.channel, r.item,
           g.township, s.village, s.org_type, s.pioneer_category,
           r.valid, r.satisfied, r.score
    from ratings as r
    left join subjects as s on s.subject_id = r.subject_id
    left join subject_groups as g on g.subject_id = r.subject_id
),
levels as (
    select 'county' as level union all select 'township' union all select 'village'
    union all select 'org_type' union all select 'pioneer_category' union all select 'rater_category'
    union all select 'method' union all select 'channel' union all select 'item'
),
spans as (
    select 'period' as span union all select 'year'
),
keyed as (
    select l.level, s.span,
           case l.level
               when 'county' then '全县'
               when 'township' then r.township
               when 'village' then r.village
               when 'org_type' then r.org_type
               when 'pioneer_category' then r.pioneer_category
               when 'rater_category' then r.rater_category
               when 'method' then r.method
               when 'channel' then r.channel
               when 'item' then r.item
           end as "group",
           case s.span when 'period' then r.period else r.year end as period,
           r.response_id, r.method as by_method, r.valid, r.satisfied, r.score
    from rated as r
    cross join levels as l
    cross join spans as s
),
method_cells as (
    select level, "group", span, period, by_method,
           cast(count(case when satisfied then 1 end) as double) / count(*) as rate_m
    from keyed
    where valid
    group by level, "group", span, period, by_method
),
weights as (
    select year, method, cast(count(*) as double) / sum(count(*)) over (partition by year) as w
    from rated
    where valid
    group by year, method
),
standardized as (
    select c.level, c."group", c.span, c.period, sum(w.w * c.rate_m) / sum(w.w) as rate_std
    from method_cells as c
    join weights as w on w.year = substr(c.period, 1, 4) and w.method = c.by_method
    group by c.level, c."group", c.span, c.period
),
cells as (
    select level, "group", span, period,
           count(case when valid then 1 end) as valid,
           count(case when satisfied then 1 end) as satisfied,
           count(case when not valid then 1 end) as abstained,
           sum(score) / nullif(count(score), 0) as score_mean
    from keyed
    group by level, "group", span, period
),
forms as (
    select level, "group", span, period, response_id,
           cast(count(*) as double) as m,
           cast(count(case when satisfied then 1 end) as double) as y
    from keyed
    where valid
    group by level, "group", span, period, response_id
),
clustered as (
    select level, "group", span, period, count(*) as raters,
           sum(y * y) as yy, sum(y * m) as ym, sum(m * m) as mm
    from forms
    group by level, "group", span, period
),
rates as (
    select c.*, case when c.valid > 0 then cast(c.satisfied as double) / c.valid end as rate,
           cast(coalesce(k.raters, 0) as bigint) as raters, k.yy, k.ym, k.mm
    from cells as c
    left join clustered as k
        on k.level = c.level and k.span = c.span and k.period = c.period
       and (k."group" = c."group" or (k."group" is null and c."group" is null))
),
effective as (
    select *, {{ clustered_n_eff(rate, valid, raters, yy, ym, mm) }} as n_eff
    from rates
),
wilson as (
    -- n_eff is null where nothing is valid: no interval (and no division by zero)
    select *,
           {{ wilson_centre(rate, n_eff) }} as centre,
           {{ wilson_half(rate, n_eff) }} as half
    from effective
)
select x.level, x."group", x.span, x.period, x.valid, x.raters, x.n_eff, x.satisfied, x.abstained, x.score_mean,
       x.rate,
       case when x.centre - x.half < 0.0 then 0.0 else x.centre - x.half end as ci_low,
       case when x.centre + x.half > 1.0 then 1.0 else x.centre + x.half end as ci_high,
       d.rate_std
from wilson as x
left join standardized as d
    on d.level = x.level and d.span = x.span and d.period = x.period
   and (d."group" = x."group" or (d."group" is null and x."group" is null))
order by x.level, x."group" nulls first, x.span, x.period
