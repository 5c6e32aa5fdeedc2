-- Annual grade of each subject (结果运用): its rate over the assessment year and the configured band it falls in.
-- inputs: ratings, params_grades, params_run
-- output: subject_id, window, valid, raters, n_eff, satisfied, rate, ci_low, ci_high, grade
-- grain: subject × assessment window (the year, the first four characters of the period)
-- key: subject_id, window
-- definitions: rate = satisfied / valid over every rating of the window (not a mean of the periods' rates);
--   grade = the first band of [[grades]] (highest first) whose min_rate the rate reaches (rate ≥ min), and
--   none on fewer than rules.min_raters people (a grade judges a person: DESIGN §5);
--   raters = responses with a valid rating in the window (people); n_eff and ci_* as in subject_period, with
--   forms as clusters over the window (macros clustered_n_eff, wilson_centre, wilson_half).
-- parameters: params_grades(band, name, min_rate) from [[grades]], band = its place in the list;
--   params_run(min_raters) from [rules].
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
forms as (
    select subject_id, substr(period, 1, 4) as "window", response_id,
           cast(count(*) as double) as m,
           cast(count(case when satisfied then 1 end) as double) as y
    from ratings
    where valid
    group by subject_id, substr(period, 1, 4), response_id
),
clustered as (
    select subject_id, "window", count(*) as raters,
           sum(y * y) as yy, sum(y * m) as ym, sum(m * m) as mm
    from forms
    group by subject_id, "window"
),
rated as (
    select y.*, case when y.valid > 0 then cast(y.satisfied as double) / y.valid end as rate,
           cast(coalesce(k.raters, 0) as bigint) as raters, k.yy, k.ym, k.mm
    from yearly as y
    left join clustered as k on k.subject_id = y.subject_id and k."window" = y."window"
),
effective as (
    select *, {{ clustered_n_eff(rate, valid, raters, yy, ym, mm) }} as n_eff
    from rated
),
wilson as (
    select *,
           {{ wilson_centre(rate, n_eff) }} as centre,
           {{ wilson_half(rate, n_eff) }} as half
    from effective
),
banded as (
    select r.subject_id, r."window", min(g.band) as band
    from rated as r
    join params_grades as g on r.rate >= g.min_rate
    group by r.subject_id, r."window"
)
select r.subject_id, r."window", r.valid, r.raters, r.n_eff, r.satisfied, r.rate,
       case when r.centre - r.half < 0.0 then 0.0 else r.centre - r.half end as ci_low,
       case when r.centre + r.half > 1.0 then 1.0 else r.centre + r.half end as ci_high,
       case when r.raters >= p.min_raters then g.name end as grade
from wilson as r
cross join params_run as p
left join banded as b on b.subject_id = r.subject_id and b."window" = r."window"
left join params_grades as g on g.band = b.band
order by r.subject_id, r."window"
