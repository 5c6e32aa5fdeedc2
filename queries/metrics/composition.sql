-- Who rated each subject in each period, against the quota of its org type (评议主体构成, 机关 55/35/10).
-- inputs: ratings, subjects, params_quota
-- output: subject_id, period, org_type, quota_group, n, valid, satisfied, share, quota, deviation, max_deviation, compliant
-- grain: subject × period × quota group of the subject's org type (groups nobody rated included, n = 0)
-- key: subject_id, period, quota_group
-- definitions: share = n / Σ n of the subject-period; deviation = share − quota;
--   max_deviation = max |deviation| over the subject-period's groups; compliant = max_deviation ≤ tolerance.
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/composition.rs), and
--   tests/it/metrics_sql.rs holds it equal to this model. polars' SQL front end runs this model: as `pingyi
--   query` on a million ratings (debug build) it took 1.4 s, where the whole of `pingyi compute` takes 4–5.5
--   s on the same machine; slower than the builder it would replace, so the builder stays. Counts are 64-bit
--   here, 32-bit unsigned in pingyi's files.
with counted as (
    select subject_id, period, rater_category,
           count(*) as n,
           count(case when valid then 1 end) as valid,
           count(case when satisfied then 1 end) as satisfied
    from ratings
    group by subject_id, period, rater_category
),
rated as (
    select c.subject_id, c.period, c.rater_category, c.n, c.valid, c.satisfied, s.org_type
    from counted as c
    join subjects as s on s.subject_id = c.subject_id
),
quota_groups as (
    select distinct org_type, quota_group, quota, tolerance
    from params_quota
),
grid as (
    select r.subject_id, r.period, r.org_type, g.quota_group, g.quota, g.tolerance
    from (select distinct subject_id, period, org_type from rated) as r
    join quota_groups as g on g.org_type = r.org_type
),
by_group as (
    select r.subject_id, r.period, q.quota_group,
           cast(sum(r.n) as bigint) as n, cast(sum(r.valid) as bigint) as valid, cast(sum(r.satisfied) as bigint) as satisfied
    from rated as r
    join params_quota as q on q.org_type = r.org_type and q.rater_category = r.rater_category
    group by r.subject_id, r.period, q.quota_group
),
filled as (
    select g.subject_id, g.period, g.org_type, g.quota_group, g.quota, g.tolerance,
           coalesce(b.n, 0) as n, coalesce(b.valid, 0) as valid, coalesce(b.satisfied, 0) as satisfied
    from grid as g
    left join by_group as b
      on b.subject_id = g.subject_id and b.period = g.period and b.quota_group = g.quota_group
),
shares as (
    select *,
           cast(n as double) / nullif(sum(n) over (partition by subject_id, period), 0) as share
    from filled
),
deviations as (
    select *, share - quota as deviation
    from shares
),
judged as (
    select *, max(abs(deviation)) over (partition by subject_id, period) as max_deviation
    from deviations
)
select subject_id, period, org_type, quota_group, n, valid, satisfied, share, quota, deviation,
       max_deviation, max_deviation <= tolerance as compliant
from judged
order by subject_id, period, quota_group
