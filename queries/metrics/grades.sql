-- Annual grade of each subject (结果运用): its rate over the assessment year and the configured band it falls in.
-- inputs: ratings, params_grades
-- output: subject_id, window, valid, satisfied, raters, rate, grade
-- grain: subject × assessment window (the year, the first four characters of the period)
-- key: subject_id, window
-- definitions: rate = satisfied / valid over every rating of the window (not a mean of the periods' rates);
--   grade = the first band of [[grades]] (highest first) whose min_rate the rate reaches (rate ≥ min);
--   raters = distinct responses, counted per period and rater category and summed.
-- parameters: params_grades(band, name, min_rate) from [[grades]], band = its place in the list.
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/breaches.rs), and tests/it/metrics_sql.rs
--   holds it equal to this model. polars' SQL front end runs this model: as `pingyi query` on a million
--   ratings (debug build) it took 1.1 s, where the whole of `pingyi compute` takes 4–5.5 s on the same
--   machine; slower than the builder it would replace, so the builder stays.
with yearly as (
    select subject_id, substr(period, 1, 4) as "window",
           count(case when valid then 1 end) as valid,
           count(case when satisfied then 1 end) as satisfied
    from ratings
    group by subject_id, substr(period, 1, 4)
),
rated as (
    select *, case when valid > 0 then cast(satisfied as double) / valid end as rate
    from yearly
),
banded as (
    select r.subject_id, r."window", min(g.band) as band
    from rated as r
    join params_grades as g on r.rate >= g.min_rate
    group by r.subject_id, r."window"
),
per_category as (
    select subject_id, period, rater_category, count(distinct response_id) as raters
    from ratings
    group by subject_id, period, rater_category
),
responses as (
    select subject_id, substr(period, 1, 4) as "window", cast(sum(raters) as bigint) as raters
    from per_category
    group by subject_id, substr(period, 1, 4)
)
select r.subject_id, r."window", r.valid, r.satisfied, rc.raters, r.rate, g.name as grade
from rated as r
left join banded as b on b.subject_id = r.subject_id and b."window" = r."window"
left join params_grades as g on g.band = b.band
left join responses as rc on rc.subject_id = r.subject_id and rc."window" = r."window"
order by r.subject_id, r."window"
