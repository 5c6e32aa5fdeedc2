-- Each change of a rate split by collection method (Kitagawa): the part within methods (同口径) and the part due to the mix of methods (评议方式构成).
-- inputs: ratings, subjects, subject_groups
-- output: level, group, kind, from, to, rate_from, rate_to, delta, within_method, method_mix
-- grain: level × group × kind × the later period: levels county (group 全县), township, village, org_type,
--   pioneer_category and subject (group = subject_id); kind 'period' compares a period with the group's previous period with valid ratings
--   (the change trends.delta_last states), kind 'year' an assessment year with the year immediately before it
--   (the change the rankings and the headline state), both only where both have valid ratings
-- key: level, group, kind, to
-- definitions (DESIGN §5 Evidence): per period, valid_m and satisfied_m of each method m with valid ratings,
--   valid = Σ_m valid_m, w_m = valid_m / valid, p_m = satisfied_m / valid_m, rate = Σ satisfied_m / valid.
--   delta = (rate_to − rate_from) × 100; within_method = 100 × Σ_m (w_from,m + w_to,m)/2 · (p_to,m − p_from,m)
--   over the methods with valid ratings in both periods (0 when none is); method_mix = delta − within_method,
--   so a method rated in one of the two periods only falls wholly into the mix. All in percentage points.
--   A subject without a township, village, org type or pioneer category is in the group ''.
-- pingyi: `pingyi compute` runs the Rust builder (pipeline/compute/changes.rs), which sums the cube of rating
--   counts every metric shares instead of passing over the ratings again, and tests/it/metrics_sql.rs holds it
--   equal to this model.
with by_subject as (
    select r.subject_id, r.period, r.method,
           count(case when r.valid then 1 end) as valid,
           count(case when r.satisfied then 1 end) as satisfied
    from ratings as r
    group by r.subject_id, r.period, r.method
),
located as (
    select b.subject_id, b.period, b.method, b.valid, b.satisfied,
           coalesce(g.township, '') as township, coalesce(s.village, '') as village,
           coalesce(s.org_type, '') as org_type, coalesce(s.pioneer_category, '') as pioneer_category
    from by_subject as b
    left join subjects as s on s.subject_id = b.subject_id
    left join subject_groups as g on g.subject_id = b.subject_id
),
levels as (
    select 'county' as level union all select 'township' union all select 'village'
    union all select 'org_type' union all select 'pioneer_category' union all select 'subject'
),
kinds as (
    select 'period' as kind union all select 'year'
),
keyed as (
    select l.level, k.kind,
           case l.level
               when 'county' then '全县'
               when 'township' then x.township
               when 'village' then x.village
               when 'org_type' then x.org_type
               when 'pioneer_category' then x.pioneer_category
               else x.subject_id
           end as "group",
           case k.kind when 'period' then x.period else substr(x.period, 1, 4) end as period,
           x.method, x.valid, x.satisfied
    from located as x
    cross join levels as l
    cross join kinds as k
),
cells as (
    -- a method is present in a period when it has valid ratings there
    select level, kind, "group", period, method, sum(valid) as valid, sum(satisfied) as satisfied
    from keyed
    group by level, kind, "group", period, method
    having sum(valid) > 0
),
totals as (
    select level, kind, "group", period, sum(valid) as valid, sum(satisfied) as satisfied
    from cells
    group by level, kind, "group", period
),
shares as (
    select c.level, c.kind, c."group", c.period, c.method,
           cast(c.valid as double) / t.valid as w,
           cast(c.satisfied as double) / c.valid as p
    from cells as c
    join totals as t on t.level = c.level and t.kind = c.kind and t."group" = c."group" and t.period = c.period
),
sequenced as (
    select level, kind, "group",
           lag(period) over (partition by level, kind, "group" order by period) as "from",
           period as "to",
           lag(cast(satisfied as double) / valid) over (partition by level, kind, "group" order by period) as rate_from,
           cast(satisfied as double) / valid as rate_to
    from totals
),
pairs as (
    -- a year is compared with the year immediately before it only
    select *
    from sequenced
    where "from" is not null
      and (kind = 'period' or cast(substr("from", 1, 4) as int) + 1 = cast(substr("to", 1, 4) as int))
),
within_parts as (
    select p.level, p.kind, p."group", p."to",
           sum((a.w + b.w) / 2.0e0 * (b.p - a.p)) as within
    from pairs as p
    join shares as a on a.level = p.level and a.kind = p.kind and a."group" = p."group" and a.period = p."from"
    join shares as b on b.level = p.level and b.kind = p.kind and b."group" = p."group" and b.period = p."to"
                    and b.method = a.method
    group by p.level, p.kind, p."group", p."to"
)
select p.level, p."group", p.kind, p."from", p."to", p.rate_from, p.rate_to,
       (p.rate_to - p.rate_from) * 100 as delta,
       coalesce(w.within, 0.0e0) * 100 as within_method,
       (p.rate_to - p.rate_from) * 100 - coalesce(w.within, 0.0e0) * 100 as method_mix
from pairs as p
left join within_parts as w on w.level = p.level and w.kind = p.kind and w."group" = p."group" and w."to" = p."to"
order by p.level, p."group", p.kind, p."to"
