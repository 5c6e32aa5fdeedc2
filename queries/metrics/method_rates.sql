-- The method effect: each collection method's rate by assessment year, subject kind and township (and 全县), with its interval in people, beside the benchmark (the random draw, 随机抽查).
-- inputs: ratings, subjects, subject_groups, params_methods
-- output: window, kind, township, method, benchmark, valid, raters, n_eff, satisfied, rate, ci_low, ci_high, benchmark_rate, vs_benchmark
-- grain: year × subject kind × township × method with a valid rating; township 全县 for the county
-- key: window, kind, township, method
-- definitions: over the valid ratings; the township is subject_groups' (县直单位 for the county bodies; ''
--   without one); a cell's people are its responses (forms) with a valid rating, each a cluster whose m and y
--   sum its ratings in the cell, n_eff and the Wilson 95% interval on it as group_period's; benchmark: the
--   method is integrity.benchmark (params_methods); benchmark_rate: the benchmark's rate in the same year,
--   kind and township (null where it did not rate); vs_benchmark = (rate − benchmark_rate) × 100.
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/method_rates.rs), and
--   tests/it/metrics_sql.rs holds it equal to this model.
with rated as (
    select substr(r.period, 1, 4) as "window", s.kind, coalesce(g.township, '') as township, r.method,
           r.response_id, r.satisfied
    from ratings as r
    join subjects as s on s.subject_id = r.subject_id
    join subject_groups as g on g.subject_id = r.subject_id
    where r.valid
),
placed as (
    select "window", kind, township, method, response_id, satisfied from rated
    union all
    select "window", kind, '全县' as township, method, response_id, satisfied from rated
),
forms as (
    select "window", kind, township, method, response_id,
           cast(count(*) as double) as m,
           cast(count(case when satisfied then 1 end) as double) as y
    from placed
    group by "window", kind, township, method, response_id
),
cells as (
    select "window", kind, township, method, count(*) as raters,
           sum(m) as valid, sum(y) as satisfied, sum(y * y) as yy, sum(y * m) as ym, sum(m * m) as mm,
           sum(y) / sum(m) as rate
    from forms
    group by "window", kind, township, method
),
effective as (
    select *, {{ clustered_n_eff(rate, valid, raters, yy, ym, mm) }} as n_eff
    from cells
),
wilson as (
    select *,
           {{ wilson_centre(rate, n_eff) }} as centre,
           {{ wilson_half(rate, n_eff) }} as half
    from effective
),
benchmarks as (
    select c."window", c.kind, c.township, c.rate as benchmark_rate
    from cells as c
    join params_methods as p on p.method = c.method and p.benchmark
)
select x."window", x.kind, x.township, x.method, coalesce(p.benchmark, false) as benchmark,
       cast(x.valid as bigint) as valid, x.raters, x.n_eff, cast(x.satisfied as bigint) as satisfied, x.rate,
       case when x.centre - x.half < 0.0 then 0.0 else x.centre - x.half end as ci_low,
       case when x.centre + x.half > 1.0 then 1.0 else x.centre + x.half end as ci_high,
       b.benchmark_rate,
       (x.rate - b.benchmark_rate) * 100 as vs_benchmark
from wilson as x
left join params_methods as p on p.method = x.method
left join benchmarks as b on b."window" = x."window" and b.kind = x.kind and b.township = x.township
order by x."window", x.kind, x.township, x.method
