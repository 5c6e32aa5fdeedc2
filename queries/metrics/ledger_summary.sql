-- The rectification ledger (整改销号台账) by subject, township, category and for the county.
-- inputs: suggestions, subject_groups, params_run, params_calendar
-- output: level, group, suggestions, closed, closure_rate, overdue, median_days_to_close, answered_on_spot
-- grain: level ('subject', 'township', 'category', 'county') × group
-- key: level, group
-- definitions: closed = status 已销号; closure_rate = closed / suggestions; overdue = not closed and the
--   deadline fell due before the as-of date, where a deadline falls due on the first working day on or after
--   it (params_calendar: every day of the years the working-day calendar covers, holidays and 调休 applied); median_days_to_close = median of closed_at − received_at (days) over the
--   closed suggestions; answered_on_spot = suggestions answered on the spot (现场答复). An empty ledger has
--   one row: the county's, with 0 suggestions and no closure rate.
--   Days are counted from a civil day number (year, month, day → days), because DuckDB and Spark spell
--   the difference of two dates differently.
-- parameters: params_run.as_of (pingyi compute --as-of; report.as_of; today); params_calendar (day, workday)
--   from the working-day calendar (`[calendar] file`, else pipeline/calendar/cn-holidays.toml).
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/ledger.rs), and tests/it/metrics_sql.rs
--   holds it equal to this model. polars' SQL front end runs this model: as `pingyi query` on a million
--   ratings (debug build) it took 0.17 s, where the whole of `pingyi compute` takes 4–5.5 s on the same
--   machine; a separate process, start-up included; not yet tried inside `pingyi compute`, where the builder
--   is one of several plans polars runs together (the trends trial there was slower), so the builder stays.
with due_dates as (
    select d.deadline, min(c.day) as due
    from (select distinct deadline from suggestions) as d
    join params_calendar as c on c.day >= d.deadline and c.workday
    group by d.deadline
),
dated as (
    select g.subject_id, s.township, g.category, g.status, g.answered_on_spot,
           coalesce(u.due, g.deadline) as due,
           extract(year from g.received_at) - case when extract(month from g.received_at) <= 2 then 1 else 0 end
               as r_y,
           (extract(month from g.received_at) + 9) % 12 as r_m,
           extract(day from g.received_at) as r_d,
           extract(year from g.closed_at) - case when extract(month from g.closed_at) <= 2 then 1 else 0 end
               as c_y,
           (extract(month from g.closed_at) + 9) % 12 as c_m,
           extract(day from g.closed_at) as c_d
    from suggestions as g
    left join subject_groups as s on s.subject_id = g.subject_id
    left join due_dates as u on u.deadline = g.deadline
),
flagged as (
    select d.subject_id, d.township, d.category, d.answered_on_spot,
           case when d.status = '已销号' then 1 else 0 end as closed,
           case when d.due < p.as_of and not (d.status = '已销号') then 1 else 0 end as overdue,
           case when d.status = '已销号' then
               cast((365 * d.c_y + floor(d.c_y / 4) - floor(d.c_y / 100) + floor(d.c_y / 400)
                     + floor((153 * d.c_m + 2) / 5) + d.c_d)
                    - (365 * d.r_y + floor(d.r_y / 4) - floor(d.r_y / 100) + floor(d.r_y / 400)
                       + floor((153 * d.r_m + 2) / 5) + d.r_d) as double)
           end as days
    from dated as d
    cross join params_run as p
),
levels as (
    select 'subject' as level union all select 'township' union all select 'category' union all select 'county'
),
keyed as (
    select l.level,
           case l.level
               when 'subject' then f.subject_id
               when 'township' then f.township
               when 'category' then f.category
               else '全县'
           end as "group",
           f.closed, f.overdue, f.days, f.answered_on_spot
    from flagged as f
    cross join levels as l
),
summed as (
    select level, "group",
           count(*) as suggestions,
           cast(sum(closed) as bigint) as closed,
           cast(sum(overdue) as bigint) as overdue,
           median(days) as median_days_to_close,
           count(case when answered_on_spot then 1 end) as answered_on_spot
    from keyed
    group by level, "group"
)
select level, "group", suggestions, closed, cast(closed as double) / suggestions as closure_rate, overdue,
       median_days_to_close, answered_on_spot
from summed
union all
-- An empty ledger still has its county row: 0 suggestions, no closure rate.
select 'county', '全县', cast(0 as bigint), cast(0 as bigint), cast(null as double), cast(0 as bigint),
       cast(null as double), cast(0 as bigint)
where not exists (select 1 from suggestions)
order by level, "group" nulls first
