-- Rectification items past their deadline and not closed (已销号) as of a date, oldest deadline first.
-- param: as_of — the date, YYYY-MM-DD
-- example: as_of=2012-12-31
with open_items as (
    select suggestion_id, subject_id, category, content, measure, owner, deadline, status
    from suggestions
    where status <> '已销号' and deadline < :as_of
),
named as (
    select o.*, s.name, s.township
    from open_items as o
    left join subjects as s on s.subject_id = o.subject_id
)
select * from named
order by deadline, suggestion_id
