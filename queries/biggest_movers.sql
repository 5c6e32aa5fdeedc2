-- Subjects whose rate moved most since their previous rated period, in percentage points, among those with enough valid ratings in both.
-- param: period — the period, e.g. 2012Q4
-- param: min_valid — fewest valid ratings in each of the two periods, e.g. 5
-- param: n — how many to list
-- example: period=2012Q4 min_valid=5 n=10
with periods as (
    select subject_id, period, valid, rate,
           lag(period) over (partition by subject_id order by period) as prev_period,
           lag(valid) over (partition by subject_id order by period) as prev_valid,
           lag(rate) over (partition by subject_id order by period) as prev_rate
    from subject_period
    where rate is not null
),
moves as (
    select p.subject_id, s.name, s.kind, s.township, p.prev_period, p.prev_rate, p.period, p.rate,
           (p.rate - p.prev_rate) * 100 as change_pp, p.prev_valid, p.valid
    from periods as p
    join subjects as s on s.subject_id = p.subject_id
    where p.period = :period and p.prev_rate is not null
      and p.valid >= :min_valid and p.prev_valid >= :min_valid
)
select * from moves
order by abs(change_pp) desc, subject_id
limit :n
