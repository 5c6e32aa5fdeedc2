-- 诫勉谈话 cases (诫勉谈话台账): every breach on certain evidence opens one, with the leader who holds the talk, a due date in working days and what the department's case sheet says became of it.
-- inputs: breaches, subjects, case_records, params_run, params_cases, params_case_leaders, params_calendar
-- output: case_id, subject_id, name, kind, unit, position, township, org_type, window, rule, evidence, periods, rates, leader, opened_on, due, status, held_on, outcome, reason, interviewer, overdue
-- grain: breach on certain evidence (subject × assessment window)
-- key: case_id
-- definitions: case_id = window-subject_id. unit = the subject's parent organization, else its village, else
--   its township. leader = the [cases] leader of the subject's org type with `{township}` filled in, else
--   the default leader. opened_on = the day after the breach's last listed period ends (2012Q3 → 2012-10-01,
--   2012H1 → 07-01, 2012-02 → 03-01, 2012 → 2013-01-01), or the as-of date when that is earlier (a breach
--   found inside an open period). due = the due_workdays-th working day after opened_on (params_calendar:
--   holidays and 调休 applied). status = the case sheet's (case_records: the latest row per case), else
--   待谈话; overdue = still 待谈话 and due before the as-of date. A likely breach opens no case.
-- parameters: params_cases(due_workdays, default_leader), params_case_leaders(org_type, leader) from [cases];
--   params_run.as_of; params_calendar (day, workday) from the working-day calendar.
-- portability: the last listed period is the macro list_last (DuckDB's index, Spark's element_at).
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/cases.rs), and tests/it/metrics_sql.rs
--   holds it equal to this model on a warehouse with cases and a case sheet.
with certain as (
    select b.subject_id, b."window", b.rule, b.evidence, b.periods, b.rates,
           {{ list_last(b.periods) }} as last_period,
           s.name, s.kind, s.org_type, s.township, s.position,
           coalesce(s.parent, s.village, s.township) as unit
    from breaches as b
    left join subjects as s on s.subject_id = b.subject_id
    where b.evidence = 'certain'
),
shaped as (
    -- The last month of the last listed period, for the day after it.
    select c.*, cast(substr(c.last_period, 1, 4) as int) as y,
           case when length(c.last_period) = 4 then 12
                when substr(c.last_period, 5, 1) = 'Q' then cast(substr(c.last_period, 6) as int) * 3
                when substr(c.last_period, 5) = 'H1' then 6
                when substr(c.last_period, 5) = 'H2' then 12
                when substr(c.last_period, 5, 1) = '-' then cast(substr(c.last_period, 6) as int)
           end as last_month
    from certain as c
),
opened as (
    select s.*,
           case when s.last_month is null then p.as_of
                when make_date(s.y + case when s.last_month = 12 then 1 else 0 end, s.last_month % 12 + 1, 1)
                     < p.as_of
                    then make_date(s.y + case when s.last_month = 12 then 1 else 0 end, s.last_month % 12 + 1, 1)
                else p.as_of
           end as opened_on,
           concat(s."window", '-', s.subject_id) as case_id
    from shaped as s
    cross join params_run as p
),
workdays as (
    select day, row_number() over (order by day) as n
    from params_calendar
    where workday
),
counted as (
    -- How many working days of the calendar fall on or before the opening day.
    select o.case_id, count(w.day) as before
    from opened as o
    left join workdays as w on w.day <= o.opened_on
    group by o.case_id
),
dated as (
    select o.*,
           replace(coalesce(l.leader, c.default_leader), '{township}', coalesce(o.township, '')) as leader,
           case when c.due_workdays = 0 then o.opened_on else w.day end as due
    from opened as o
    cross join params_cases as c
    left join params_case_leaders as l on l.org_type = o.org_type
    join counted as k on k.case_id = o.case_id
    left join workdays as w on w.n = k.before + c.due_workdays
)
select d.case_id, d.subject_id, d.name, d.kind, d.unit, d.position, d.township, d.org_type, d."window",
       d.rule, d.evidence, d.periods, d.rates, d.leader, d.opened_on, d.due,
       coalesce(r.status, '待谈话') as status, r.held_on, r.outcome, r.reason, r.interviewer,
       coalesce(r.status, '待谈话') = '待谈话' and d.due < p.as_of as overdue
from dated as d
cross join params_run as p
left join case_records as r on r.case_id = d.case_id
