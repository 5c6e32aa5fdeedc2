-- The method effect in one year: by subject kind (组织/干部) and township (全县 first, 县直单位 apart), each collection method's rate with its 95% interval counted in people, beside the benchmark (基准), the random draw (随机抽查): the only method whose raters the rated unit does not choose.
-- param: year — the assessment year, e.g. 2012
-- example: year=2012
-- From the metrics table method_rates (forms as clusters, as group_period's intervals; the benchmark is
-- integrity.benchmark; the township is subject_groups'). vs_benchmark = (rate − benchmark_rate) × 100,
-- percentage points, null where the benchmark did not rate the kind there. A subject without a township is
-- in the township ''.
with year_rows as (
    select kind, township, method, benchmark, raters, n_eff, valid, satisfied, rate, ci_low, ci_high,
           benchmark_rate, vs_benchmark,
           case when township = '全县' then 0 else 1 end as county_first,
           case when benchmark then 0 else 1 end as benchmark_first
    from method_rates
    where "window" = cast(:year as string)
)
select kind, township, method, benchmark, raters, n_eff, valid, satisfied, rate, ci_low, ci_high,
       benchmark_rate, vs_benchmark
from year_rows
order by kind, county_first, township, benchmark_first, method
