-- The share of 不了解 (don't know) answers per subject and period: how often raters could not judge a subject.
-- inputs: ratings
-- output: subject_id, period, answers, dont_know, share
-- grain: subject × period
-- key: subject_id, period
-- definitions: answers = every rating of the subject in the period, valid or not; dont_know = ratings at an
--   abstain level of the scale (不了解 and its aliases by default), which ingest stores with valid = false;
--   share = dont_know / answers (answers is never 0: a subject-period exists because it has ratings).
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/rates.rs, `dont_know`), which sums the cube of
--   rating counts every metric shares instead of passing over the ratings again, and tests/it/metrics_sql.rs
--   holds it equal to this model. It is the registry's example metric: one entry in pipeline/compute/tables.rs,
--   one builder.
with counted as (
    select subject_id, period,
           count(*) as answers,
           count(case when not valid then 1 end) as dont_know
    from ratings
    group by subject_id, period
)
select subject_id, period, answers, dont_know,
       cast(dont_know as double) / nullif(answers, 0) as share
from counted
order by subject_id, period
