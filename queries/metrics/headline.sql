-- The headline figures of the whole warehouse: people identified, ratings, subjects rated, the overall rate, suggestions.
-- inputs: ratings, suggestions
-- output: people_identified, ratings, valid, raters, n_eff, subjects_rated, rate, ci_low, ci_high, suggestions
-- grain: one row
-- key:
-- definitions: people_identified = distinct rater keys (keyed hashes of rater ids; ratings without one count
--   together as one value, as pingyi counts them); rate = Σ satisfied / Σ valid over every rating; raters =
--   responses with a valid rating; n_eff and ci_* with every response a cluster, as in subject_period
--   (macros clustered_n_eff, wilson_centre, wilson_half).
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/ledger.rs), and tests/it/metrics_sql.rs
--   holds it equal to this model. polars' SQL front end runs this model: as `pingyi query` on a million
--   ratings (debug build) it took 0.27 s, where the whole of `pingyi compute` takes 4–5.5 s on the same
--   machine; a separate process, start-up included; not yet tried inside `pingyi compute`, where the builder
--   is one of several plans polars runs together (the trends trial there was slower), so the builder stays.
with rated as (
    select count(distinct rater_key)
               + max(case when rater_key is null then 1 else 0 end) as people_identified,
           count(*) as ratings,
           count(case when valid then 1 end) as valid,
           count(distinct subject_id) as subjects_rated,
           cast(count(case when satisfied then 1 end) as double)
               / nullif(count(case when valid then 1 end), 0) as rate
    from ratings
),
forms as (
    -- A response has one period: counted per period, as the cells of group_period are.
    select period, response_id,
           cast(count(*) as double) as m,
           cast(count(case when satisfied then 1 end) as double) as y
    from ratings
    where valid
    group by period, response_id
),
clustered as (
    select count(*) as raters, sum(y * y) as yy, sum(y * m) as ym, sum(m * m) as mm
    from forms
),
effective as (
    select r.*, k.raters, {{ clustered_n_eff(r.rate, r.valid, k.raters, k.yy, k.ym, k.mm) }} as n_eff
    from rated as r
    cross join clustered as k
),
wilson as (
    select *,
           {{ wilson_centre(rate, n_eff) }} as centre,
           {{ wilson_half(rate, n_eff) }} as half
    from effective
),
suggested as (
    select count(*) as suggestions
    from suggestions
)
select r.people_identified, r.ratings, r.valid, r.raters, r.n_eff, r.subjects_rated, r.rate,
       case when r.centre - r.half < 0.0 then 0.0 else r.centre - r.half end as ci_low,
       case when r.centre + r.half > 1.0 then 1.0 else r.centre + r.half end as ci_high,
       s.suggestions
from wilson as r
cross join suggested as s
