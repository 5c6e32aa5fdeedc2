-- Satisfaction of each subject in each period: raw rate with its Wilson 95% interval, and the post-stratified rate.
-- inputs: ratings, composition
-- output: subject_id, period, valid, satisfied, abstained, score_mean, rate, ci_low, ci_high, rate_ps, ps_ci_low, ps_ci_high, n_eff, coverage, raters
-- grain: subject × period
-- key: subject_id, period
-- definitions (DESIGN §5):
--   valid = ratings not abstaining (不了解); satisfied = valid ratings at a satisfied level; rate = satisfied / valid,
--   null when nothing is valid. Wilson score interval, z = 1.959963984540054 (statsmodels
--   proportion_confint(method="wilson")): centre = (p + z²/2n) / (1 + z²/n),
--   half = z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n), clipped to [0, 1]; z² = 3.8414588206941254. The two
--   expressions are the macros wilson_centre and wilson_half (queries/engines/models.py), shared by the models.
--   Post-stratified over the quota groups present (valid > 0): rate_ps = Σ Q_g·p_g / Σ Q_g,
--   coverage = Σ Q_g, Kish n_eff = coverage² / Σ (Q_g² / n_g) (each rating weighs Q_g / n_g);
--   ps_ci_* = the Wilson interval of rate_ps on n_eff.
--   Constants carry an exponent (1.959963984540054e0) so that Spark reads them as DOUBLE: a decimal literal
--   would make its division a DECIMAL one, rounded to 6 places.
--   raters = distinct responses (filled forms, device votes), counted per rater category and summed.
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/rates.rs, composition.rs), and
--   tests/it/metrics_sql.rs holds it equal to this model. polars' SQL front end runs this model: as `pingyi
--   query` on a million ratings (debug build) it took 1.4 s (from the stored composition), where the whole of
--   `pingyi compute` takes 4–5.5 s on the same machine; slower than the builder it would replace, so the
--   builder stays. score_mean of a subject-period with no scored rating is null, as in pingyi.
with cells as (
    select subject_id, period,
           count(case when valid then 1 end) as valid,
           count(case when satisfied then 1 end) as satisfied,
           count(case when not valid then 1 end) as abstained,
           sum(score) / nullif(count(score), 0) as score_mean
    from ratings
    group by subject_id, period
),
rated as (
    select *, case when valid > 0 then cast(satisfied as double) / valid end as rate
    from cells
),
wilson as (
    -- n_valid is null where nothing is valid: no interval (and no division by zero)
    select *,
           {{ wilson_centre(rate, n_valid) }} as centre,
           {{ wilson_half(rate, n_valid) }} as half
    from (select *, cast(nullif(valid, 0) as double) as n_valid from rated) as t
),
strata as (
    select subject_id, period,
           sum(case when valid > 0 then quota * (cast(satisfied as double) / valid) else 0.0 end) as weighted,
           sum(case when valid > 0 then quota else 0.0 end) as coverage,
           sum(case when valid > 0 then quota * quota / valid else 0.0 end) as q2n
    from composition
    group by subject_id, period
),
post_stratified as (
    select subject_id, period, coverage,
           weighted / case when coverage > 0 then coverage end as rate_ps,
           coverage * coverage / case when q2n > 0 then q2n end as n_eff
    from strata
),
ps_wilson as (
    select *,
           {{ wilson_centre(rate_ps, n_ps) }} as centre,
           {{ wilson_half(rate_ps, n_ps) }} as half
    from (select *, case when n_eff > 0 then n_eff end as n_ps from post_stratified) as t
),
per_category as (
    select subject_id, period, rater_category, count(distinct response_id) as raters
    from ratings
    group by subject_id, period, rater_category
),
responses as (
    select subject_id, period, cast(sum(raters) as bigint) as raters
    from per_category
    group by subject_id, period
)
select r.subject_id, r.period, r.valid, r.satisfied, r.abstained, r.score_mean, r.rate,
       case when w.centre - w.half < 0.0 then 0.0 else w.centre - w.half end as ci_low,
       case when w.centre + w.half > 1.0 then 1.0 else w.centre + w.half end as ci_high,
       p.rate_ps,
       case when pw.centre - pw.half < 0.0 then 0.0 else pw.centre - pw.half end as ps_ci_low,
       case when pw.centre + pw.half > 1.0 then 1.0 else pw.centre + pw.half end as ps_ci_high,
       p.n_eff, p.coverage, rc.raters
from rated as r
left join wilson as w on w.subject_id = r.subject_id and w.period = r.period
left join post_stratified as p on p.subject_id = r.subject_id and p.period = r.period
left join ps_wilson as pw on pw.subject_id = r.subject_id and pw.period = r.period
left join responses as rc on rc.subject_id = r.subject_id and rc.period = r.period
order by r.subject_id, r.period
