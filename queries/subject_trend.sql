-- One subject's trend: every period's rate with its interval, the post-stratified rate, and the change from the period before in percentage points.
-- param: subject_id — the subject's id, e.g. ZZ0001
-- example: subject_id=ZZ0001
with periods as (
    select subject_id, period, raters, valid, rate, ci_low, ci_high, rate_ps, coverage
    from subject_period
    where subject_id = :subject_id
),
with_change as (
    select period, raters, valid, rate, ci_low, ci_high, rate_ps, coverage,
           (rate - lag(rate) over (order by period)) * 100 as change_pp
    from periods
)
select * from with_change
order by period
