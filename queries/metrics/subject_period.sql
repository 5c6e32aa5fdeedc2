-- Satisfaction of each subject in each period: raw rate with its interval counted in people (forms as clusters), and the post-stratified rate with its own.
-- inputs: ratings, subjects, composition, params_quota
-- output: subject_id, period, valid, raters, n_eff, satisfied, abstained, score_mean, rate, ci_low, ci_high, rate_ps, ps_ci_low, ps_ci_high, ps_n_eff, coverage
-- grain: subject × period
-- key: subject_id, period
-- definitions (DESIGN §5, "Evidence"):
--   valid = ratings not abstaining (不了解); satisfied = valid ratings at a satisfied level; rate = satisfied / valid,
--   null when nothing is valid. A response (response_id: a filled form, a device vote) is a cluster: with
--   m_i valid ratings of which y_i satisfied, raters = k = responses with a valid rating, and
--   Var(rate) = k/(k−1)·Σ(y_i − rate·m_i)²/valid² (R survey's svymean on svydesign(ids = ~response_id)),
--   n_eff = rate(1−rate)/Var clamped to [k, valid], k when the rate is 0 or 1, k < 2 or Var = 0 (macro
--   clustered_n_eff, queries/engines/models.py). ci_* = the Wilson interval (z = 1.959963984540054, macros
--   wilson_centre and wilson_half) of rate on n_eff, clipped to [0, 1].
--   Post-stratified over the quota groups present (valid > 0): rate_ps = Σ Q_g·p_g / Σ Q_g, coverage = Σ Q_g;
--   each rating of group g weighs w = Q_g / n_g; its residual w·(y − p_g)/coverage, summed per response, is
--   z_c, and Var_ps = k/(k−1)·Σ z_c² (R survey's postStratify on the clustered design); ps_n_eff =
--   rate_ps(1−rate_ps)/Var_ps unclamped, or Kish's (Σw_c)²/Σw_c² over the responses' weights w_c (Σ of
--   their ratings' w) where Var_ps = 0, k < 2 or rate_ps is 0 or 1 (macro ps_n_eff); ps_ci_* = Wilson on it.
--   Constants carry an exponent (1.959963984540054e0) so that Spark reads them as DOUBLE: a decimal literal
--   would make its division a DECIMAL one, rounded to 6 places.
-- parameters: params_quota(org_type, rater_category, quota_group, quota) from [[org_types]].
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/rates.rs, clusters.rs, evidence.rs), and
--   tests/it/metrics_sql.rs holds it equal to this model. polars' SQL front end runs this model: as `pingyi
--   query` on a million ratings (debug build) it took 1.4 s (from the stored composition, before forms were
--   clusters), where the whole of `pingyi compute` takes 4–5.5 s on the same machine; slower than the builder
--   it would replace, so the builder stays. score_mean of a subject-period with no scored rating is null, as
--   in pingyi.
with cells as (
    select subject_id, period,
           count(case when valid then 1 end) as valid,
           count(case when satisfied then 1 end) as satisfied,
           count(case when not valid then 1 end) as abstained,
           sum(score) / nullif(count(score), 0) as score_mean
    from ratings
    group by subject_id, period
),
forms as (
    -- Each response's valid ratings (m) and satisfied ones (y) of the subject in the period.
    select subject_id, period, response_id,
           cast(count(*) as double) as m,
           cast(count(case when satisfied then 1 end) as double) as y
    from ratings
    where valid
    group by subject_id, period, response_id
),
clustered as (
    select subject_id, period, count(*) as raters,
           sum(y * y) as yy, sum(y * m) as ym, sum(m * m) as mm
    from forms
    group by subject_id, period
),
rated as (
    select c.*, case when c.valid > 0 then cast(c.satisfied as double) / c.valid end as rate,
           cast(coalesce(k.raters, 0) as bigint) as raters, k.yy, k.ym, k.mm
    from cells as c
    left join clustered as k on k.subject_id = c.subject_id and k.period = c.period
),
effective as (
    select *, {{ clustered_n_eff(rate, valid, raters, yy, ym, mm) }} as n_eff
    from rated
),
wilson as (
    -- n_eff is null where nothing is valid: no interval (and no division by zero)
    select *,
           {{ wilson_centre(rate, n_eff) }} as centre,
           {{ wilson_half(rate, n_eff) }} as half
    from effective
),
strata as (
    select subject_id, period,
           sum(case when valid > 0 then quota * (cast(satisfied as double) / valid) else 0.0 end) as weighted,
           sum(case when valid > 0 then quota else 0.0 end) as coverage
    from composition
    group by subject_id, period
),
post_stratified as (
    select subject_id, period, coverage,
           weighted / case when coverage > 0 then coverage end as rate_ps
    from strata
),
quota_forms as (
    -- Each response's valid ratings per quota group of the subject's org type.
    select r.subject_id, r.period, r.response_id, q.quota_group, max(q.quota) as quota,
           cast(count(*) as double) as m,
           cast(count(case when r.satisfied then 1 end) as double) as y
    from ratings as r
    join subjects as s on s.subject_id = r.subject_id
    join params_quota as q on q.org_type = s.org_type and q.rater_category = r.rater_category
    where r.valid
    group by r.subject_id, r.period, r.response_id, q.quota_group
),
quota_groups as (
    select subject_id, period, quota_group,
           sum(y) / sum(m) as p_g, max(quota) / sum(m) as w,
           sum(max(quota)) over (partition by subject_id, period) as coverage
    from quota_forms
    group by subject_id, period, quota_group
),
residuals as (
    select f.subject_id, f.period, f.response_id,
           sum(g.w * (f.y - g.p_g * f.m) / g.coverage) as z,
           sum(g.w * f.m) as wc
    from quota_forms as f
    join quota_groups as g on g.subject_id = f.subject_id and g.period = f.period and g.quota_group = f.quota_group
    group by f.subject_id, f.period, f.response_id
),
ps_sums as (
    select subject_id, period, count(*) as ps_raters, sum(z * z) as ps_zz, sum(wc) as ps_w, sum(wc * wc) as ps_ww
    from residuals
    group by subject_id, period
),
ps_effective as (
    select p.subject_id, p.period, p.rate_ps, p.coverage,
           {{ ps_n_eff(p.rate_ps, s.ps_raters, s.ps_zz, s.ps_w, s.ps_ww) }} as ps_n_eff
    from post_stratified as p
    left join ps_sums as s on s.subject_id = p.subject_id and s.period = p.period
),
ps_wilson as (
    select *,
           {{ wilson_centre(rate_ps, ps_n_eff) }} as centre,
           {{ wilson_half(rate_ps, ps_n_eff) }} as half
    from ps_effective
)
select w.subject_id, w.period, w.valid, w.raters, w.n_eff, w.satisfied, w.abstained, w.score_mean, w.rate,
       case when w.centre - w.half < 0.0 then 0.0 else w.centre - w.half end as ci_low,
       case when w.centre + w.half > 1.0 then 1.0 else w.centre + w.half end as ci_high,
       pw.rate_ps,
       case when pw.centre - pw.half < 0.0 then 0.0 else pw.centre - pw.half end as ps_ci_low,
       case when pw.centre + pw.half > 1.0 then 1.0 else pw.centre + pw.half end as ps_ci_high,
       pw.ps_n_eff, pw.coverage
from wilson as w
left join ps_wilson as pw on pw.subject_id = w.subject_id and pw.period = w.period
order by w.subject_id, w.period
