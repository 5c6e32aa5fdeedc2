-- Townships (乡镇) ranked by their annual method-standardized satisfaction rate, as the leadership page ranks them, with the number of 诫勉谈话 breaches among their subjects; the county bodies (县直单位) last, unranked.
-- param: year — the assessment year, e.g. 2012
-- example: year=2012
-- The township is subject_groups' (the county bodies apart, `[groups]`); their row has no place: the page
-- shows it below the ranking, since the county's own organs are no township. rate_std orders (ties by the
-- raw rate, then the name); the page also shows which places overlapping intervals leave tied.
with rates as (
    select "group" as township, valid, rate_std, rate, ci_low, ci_high
    from group_period
    where level = 'township' and span = 'year' and period = cast(:year as string)
),
apart as (
    select distinct township from subject_groups where county_body
),
breach_counts as (
    select g.township, count(*) as breaches
    from breaches as b
    join subject_groups as g on g.subject_id = b.subject_id
    where b."window" = cast(:year as string)
    group by g.township
),
flagged as (
    select r.township, r.valid, r.rate_std, r.rate, r.ci_low, r.ci_high,
           case when a.township is null then 0 else 1 end as is_apart,
           -r.rate_std as neg_std, -r.rate as neg_rate,
           coalesce(b.breaches, 0) as breaches
    from rates as r
    left join apart as a on a.township = r.township
    left join breach_counts as b on b.township = r.township
),
ranked as (
    select row_number() over (partition by is_apart order by neg_std, neg_rate, township) as n,
           township, valid, rate_std, rate, ci_low, ci_high, breaches, is_apart
    from flagged
)
select case when is_apart = 0 then n end as place,
       township, valid, rate_std, rate, ci_low, ci_high, breaches
from ranked
order by is_apart, n
