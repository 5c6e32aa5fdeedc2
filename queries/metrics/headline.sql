-- The headline figures of the whole warehouse: people identified, ratings, subjects rated, the overall rate, suggestions.
-- inputs: ratings, suggestions
-- output: people_identified, ratings, subjects_rated, rate, suggestions
-- grain: one row
-- key:
-- definitions: people_identified = distinct rater keys (keyed hashes of rater ids; ratings without one count
--   together as one value, as pingyi counts them); rate = Σ satisfied / Σ valid over every rating.
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/ledger.rs), and tests/it/metrics_sql.rs
--   holds it equal to this model. polars' SQL front end runs this model: as `pingyi query` on a million
--   ratings (debug build) it took 0.27 s, where the whole of `pingyi compute` takes 4–5.5 s on the same
--   machine; a separate process, start-up included; not yet tried inside `pingyi compute`, where the builder
--   is one of several plans polars runs together (the trends trial there was slower), so the builder stays.
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
