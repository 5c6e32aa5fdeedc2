-- Quarantined rows by input kind, reason and column, with the files they came from: what to fix at the source.
with rows_by_reason as (
    select kind, reason, "column", count(*) as quarantined_rows, count(distinct source_file) as files
    from quarantine
    group by kind, reason, "column"
)
select * from rows_by_reason
order by quarantined_rows desc, kind, reason, "column"
