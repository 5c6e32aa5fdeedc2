-- Trends of each subject's and each group's rate over the periods: the change against the previous period, the Mann-Kendall test with Sen's slope, and Benjamini-Hochberg q-values over each level's tests.
-- inputs: subject_period, group_period
-- output: level, group, n_periods, last_period, rate_last, delta_last, mk_s, mk_var_s, mk_z, mk_p, mk_q, tau, sen_slope, declining
-- grain: level × group: level 'subject' (group = subject_id) and every level of group_period, whose series
--   are its `span = 'period'` rows only (the assessment-year rows would interleave with the quarters)
-- key: level, group
-- definitions (pymannkendall.original_test): x_1..x_n the series of non-null rates in period order;
--   delta_last = (x_n − x_{n−1}) × 100, percentage points, n ≥ 2. With n ≥ 4:
--   S = Σ_{i<j} sign(x_j − x_i); var S = (n(n−1)(2n+5) − Σ_ties t(t−1)(2t+5)) / 18, t the size of each
--   group of equal rates; Z = (S − 1)/√var S if S > 0, (S + 1)/√var S if S < 0, else 0 (0 when var S ≤ 0);
--   p = erfc(|Z|/√2), two-sided; tau = S / (n(n−1)/2); Sen's slope = median of (x_j − x_i)/(j − i), i < j.
--   mk_q (Benjamini-Hochberg, as statsmodels multipletests(method="fdr_bh")): within each level, the m rows
--   with a p-value ranked k = 1..m by p; q = min over the rows ranked k or later of m·p/k, at most 1 (tied
--   p-values get the same q whatever their order). declining = q < 0.05 and Sen's slope < 0: among
--   thousands of series some reach p < 0.05 by chance alone.
--   erfc has no SQL builtin: it is W. J. Cody's rational Chebyshev approximation (Math. Comp. 23, 1969;
--   netlib specfun CALERF) written out, within 1e-15 relative of the C library's erfc below 26.
--   A null group (e.g. subjects without a village) is the group ''.
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/trends.rs, stats.rs), and
--   tests/it/metrics_sql.rs holds it equal to this model. polars' SQL front end runs this model and gives
--   the builder's schema: tried inside `pingyi compute` on a million ratings (debug build), it took
--   0.25–0.29 s where the builder takes 0.05–0.08 s. One definition is the goal, a slower nightly run is not, so the
--   builder stays.
with series as (
    select 'subject' as level, subject_id as "group", period, rate
    from subject_period
    where rate is not null
    union all
    select level, coalesce("group", '') as "group", period, rate
    from group_period
    where span = 'period' and rate is not null
),
ordered as (
    select level, "group", period, rate,
           row_number() over (partition by level, "group" order by period) as i,
           count(*) over (partition by level, "group") as n
    from series
),
ends as (
    select level, "group", n,
           max(case when i = n then period end) as last_period,
           max(case when i = n then rate end) as rate_last,
           max(case when i = n - 1 then rate end) as rate_prev
    from ordered
    group by level, "group", n
),
pairs as (
    -- every pair of periods i < j of a series of at least four
    select a.level, a."group",
           case when b.rate > a.rate then 1 when b.rate < a.rate then -1 else 0 end as sign,
           (b.rate - a.rate) / (b.i - a.i) as slope
    from ordered as a
    join ordered as b on b.level = a.level and b."group" = a."group" and b.i > a.i
    where a.n >= 4
),
kendall as (
    select level, "group", cast(sum(sign) as double) as s, median(slope) as sen_slope
    from pairs
    group by level, "group"
),
tie_groups as (
    select level, "group", count(*) as t
    from ordered
    where n >= 4
    group by level, "group", rate
),
ties as (
    select level, "group", sum(t * (t - 1) * (2 * t + 5)) as tie_term
    from tie_groups
    group by level, "group"
),
variance as (
    select e.level, e."group", e.n, k.s, k.sen_slope,
           cast(e.n * (e.n - 1) * (2 * e.n + 5) - t.tie_term as double) / 18 as var_s
    from ends as e
    join kendall as k on k.level = e.level and k."group" = e."group"
    join ties as t on t.level = e.level and t."group" = e."group"
),
tested as (
    select *,
           case
               when var_s <= 0 then 0.0
               when s > 0 then (s - 1) / sqrt(var_s)
               when s < 0 then (s + 1) / sqrt(var_s)
               else 0.0
           end as z
    from variance
),
normal as (
    -- the pieces of Cody's erfc(y), y = |Z|/√2: y², y cut to 1/16 (exp(−y²) in two exact steps), 1/y²
    select *, y * y as y2, floor(y * 16) / 16 as yt, case when y > 0 then 1 / (y * y) end as r2
    from (select *, abs(z) / 1.4142135623730951e0 as y from tested) as t
),
mann_kendall as (
    select level, "group", s, var_s, z, sen_slope, s / (0.5 * n * (n - 1)) as tau,
        case
            when y <= 0.46875 then 1.0 - y * ((((1.85777706184603153e-1 * y2 + 3.16112374387056560e0) * y2 + 1.13864154151050156e2) * y2 + 3.77485237685302021e2) * y2 + 3.20937758913846947e3) / ((((y2 + 2.36012909523441209e1) * y2 + 2.44024637934444173e2) * y2 + 1.28261652607737228e3) * y2 + 2.84423683343917062e3)
            when y <= 4.0 then exp(-yt * yt) * exp(-(y - yt) * (y + yt)) * ((((((((2.15311535474403846e-8 * y + 5.64188496988670089e-1) * y + 8.88314979438837594e0) * y + 6.61191906371416295e1) * y + 2.98635138197400131e2) * y + 8.81952221241769090e2) * y + 1.71204761263407058e3) * y + 2.05107837782607147e3) * y + 1.23033935479799725e3) / ((((((((y + 1.57449261107098347e1) * y + 1.17693950891312499e2) * y + 5.37181101862009858e2) * y + 1.62138957456669019e3) * y + 3.29079923573345963e3) * y + 4.36261909014324716e3) * y + 3.43936767414372164e3) * y + 1.23033935480374942e3)
            else exp(-yt * yt) * exp(-(y - yt) * (y + yt))
                 * (5.6418958354775628695e-1 - r2 * (((((1.63153871373020978e-2 * r2 + 3.05326634961232344e-1) * r2 + 3.60344899949804439e-1) * r2 + 1.25781726111229246e-1) * r2 + 1.60837851487422766e-2) * r2 + 6.58749161529837803e-4) / (((((r2 + 2.56852019228982242e0) * r2 + 1.87295284992346725e0) * r2 + 5.27905102951428412e-1) * r2 + 6.05183413124413191e-2) * r2 + 2.33520497626869185e-3)) / y
        end as p
    from normal
),
fdr_ranked as (
    select level, "group", p,
           row_number() over (partition by level order by p, "group") as k,
           count(*) over (partition by level) as m
    from mann_kendall
),
fdr as (
    -- the running minimum of m·p/k from the largest p down
    select level, "group",
           min(p * m / k) over (partition by level order by k desc
                                rows between unbounded preceding and current row) as q
    from fdr_ranked
)
select e.level, e."group", e.n as n_periods, e.last_period, e.rate_last,
       (e.rate_last - e.rate_prev) * 100 as delta_last,
       m.s as mk_s, m.var_s as mk_var_s, m.z as mk_z, m.p as mk_p,
       case when f.q > 1.0 then 1.0 else f.q end as mk_q, m.tau, m.sen_slope,
       coalesce(f.q < 0.05 and m.sen_slope < 0, false) as declining
from ends as e
left join mann_kendall as m on m.level = e.level and m."group" = e."group"
left join fdr as f on f.level = e.level and f."group" = e."group"
order by case when e.level = 'subject' then 0 else 1 end, e.level, e."group"
