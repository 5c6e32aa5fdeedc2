-- The headline figures of the whole warehouse: people identified, ratings, subjects rated, the overall rate, suggestions.
-- inputs: ratings, suggestions
-- output: people_identified, ratings, subjects_rated, rate, suggestions
-- grain: one row
-- key:
-- definitions: people_identified = distinct rater keys (keyed hashes of rater ids; ratings without one count
--   together as one value, as pingyi counts them); rate = Σ satisfied / Σ valid over every rating.
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/ledger.rs), and tests/it/metrics_sql.rs
--   holds it equal to this model. polars' SQL front end runs this model, but took 2.6 s on a million ratings
--   where the whole of `pingyi compute` takes about 3 s (debug build; README, "Metric models"): one
--   definition is the goal, a slower nightly run is not, so the builder stays.
with rated as (
    select count(distinct rater_key)
               + max(case when rater_key is null then 1 else 0 end) as people_identified,
           count(*) as ratings,
           count(distinct subject_id) as subjects_rated,
           cast(count(case when satisfied then 1 end) as double)
               / nullif(count(case when valid then 1 end), 0) as rate
    from ratings
),
suggested as (
    select count(*) as suggestions
    from suggestions
)
select r.people_identified, r.ratings, r.subjects_rated, r.rate, s.suggestions
from rated as r
cross join suggested as s
