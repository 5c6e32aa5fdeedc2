-- The method effect in one year: by subject kind (组织/干部) and township (and 全县), each collection method's rate with its Wilson 95% interval beside the benchmark method's, the random draw (随机抽查): the only method whose raters the rated unit does not choose.
-- param: year — the assessment year, e.g. 2012
-- param: benchmark — the benchmark method, e.g. 随机抽查
-- example: year=2012 benchmark=随机抽查
-- The interval is Wilson's on the valid ratings (z = 1.959963984540054), as group_period's; vs_benchmark is
-- (rate − benchmark_rate) × 100, percentage points, null where the benchmark did not rate the kind there.
-- A subject without a township is in the township ''.
with rated as (
    select s.kind, coalesce(s.township, '') as township, r.method, r.response_id, r.valid, r.satisfied
    from ratings as r
    join subjects as s on s.subject_id = r.subject_id
    where substr(r.period, 1, 4) = cast(:year as string)
),
cells as (
    select kind, township, method,
           count(distinct response_id) as forms,
           sum(case when valid then 1 else 0 end) as valid,
           sum(case when satisfied then 1 else 0 end) as satisfied
    from rated
    group by kind, township, method
    union all
    select kind, '全县' as township, method,
           count(distinct response_id) as forms,
           sum(case when valid then 1 else 0 end) as valid,
           sum(case when satisfied then 1 else 0 end) as satisfied
    from rated
    group by kind, method
),
rates as (
    select kind, township, method, forms, valid, satisfied,
           cast(satisfied as double) / valid as rate
    from cells
    where valid > 0
),
wilson as (
    select *,
           (rate + 3.8414588206941254e0 / (2.0 * valid)) / (1.0 + 3.8414588206941254e0 / valid) as centre,
           1.959963984540054e0 * sqrt(rate * (1.0 - rate) / valid + 3.8414588206941254e0 / (4.0 * valid * valid))
               / (1.0 + 3.8414588206941254e0 / valid) as half
    from rates
),
benchmark_rates as (
    select kind, township, rate as benchmark_rate
    from rates
    where method = :benchmark
)
select w.kind, w.township, w.method, w.forms, w.valid, w.satisfied, w.rate,
       case when w.centre - w.half < 0.0 then 0.0 else w.centre - w.half end as ci_low,
       case when w.centre + w.half > 1.0 then 1.0 else w.centre + w.half end as ci_high,
       b.benchmark_rate,
       (w.rate - b.benchmark_rate) * 100 as vs_benchmark
from wilson as w
left join benchmark_rates as b on b.kind = w.kind and b.township = w.township
order by w.kind, case when w.township = '全县' then 0 else 1 end, w.township, w.method
