-- Rater composition against the quotas (e.g. 55/35/10 for 机关) per org type in one year: realized share, gap, and how many subject-periods missed.
-- param: year — the assessment year, e.g. 2012
-- example: year=2012
with of_year as (
    select org_type, quota_group, subject_id, period, n, quota, compliant
    from composition
    where substr(period, 1, 4) = cast(:year as string)
),
by_group as (
    select org_type, quota_group,
           sum(n) as n,
           max(quota) as quota,
           count(*) as subject_periods,
           sum(case when compliant then 0 else 1 end) as not_compliant
    from of_year
    group by org_type, quota_group
),
by_org_type as (
    select org_type, sum(n) as total
    from by_group
    group by org_type
),
gaps as (
    select g.org_type, g.quota_group, g.n, t.total,
           cast(g.n as double) / t.total as share,
           g.quota,
           cast(g.n as double) / t.total - g.quota as gap,
           g.subject_periods, g.not_compliant
    from by_group as g
    join by_org_type as t on t.org_type = g.org_type
    where t.total > 0
)
select * from gaps
order by org_type, quota_group
