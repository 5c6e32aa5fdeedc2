-- Each subject's group at the township level: its township, or the county bodies' group (县直单位).
-- inputs: subjects, params_groups
-- output: subject_id, township, county_body
-- grain: subject
-- key: subject_id
-- definitions: a subject is a county body when the rule `[groups]` names a group (params_groups has a row
--   with rule 'name') and its org type is listed (rule 'org_type'), or its parent (所属组织) is listed
--   (rule 'parent'), or its parent is the name of an organization (kind 组织) listed so (a cadre of it); a county body's township is the group's name, every other subject keeps its own.
--   Every township figure (group_period, changes, ledger_summary at level township) counts this township.
-- pingyi: `pingyi compute` reads the roster through the same rule (pipeline/compute/groups.rs) before
--   every builder, and tests/it/metrics_sql.rs holds the table equal to this model.
with named as (
    select max(value) as name from params_groups where rule = 'name'
),
direct as (
    select s.subject_id, s.name, s.kind,
           (exists (select 1 from params_groups as p where p.rule = 'org_type' and p.value = s.org_type)
            or exists (select 1 from params_groups as p where p.rule = 'parent' and p.value = s.parent))
               as listed
    from subjects as s
),
bodies as (
    select distinct name from direct where listed and kind = '组织' and name is not null
),
flagged as (
    select s.subject_id, s.township,
           (n.name is not null
            and (d.listed or s.parent in (select name from bodies))) as county_body,
           n.name as group_name
    from subjects as s
    join direct as d on d.subject_id = s.subject_id
    cross join named as n
)
select subject_id,
       case when county_body then group_name else township end as township,
       coalesce(county_body, false) as county_body
from flagged
order by subject_id
