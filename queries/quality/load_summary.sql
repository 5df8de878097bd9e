-- name: load_summary
-- title: Rows read, duplicated, rejected and loaded per table
-- description: One row per export file. read = data rows in the file; duplicates = exact
--   duplicate rows that loaded once; rejected = rows that broke at least one rule (each
--   rejected row appears in rejected_rows with every rule it broke); loaded = rows in the
--   canonical table. read = duplicates + rejected + loaded. In the order the files were
--   loaded (the contract's).
-- params:
-- columns: table_name, file_name, rows_read, duplicates, rejected, loaded

with

files as (
    select table_name, file_name, rows_read, load_order from source_files
),

duplicates as (
    select table_name, count(*) as n from duplicate_rows group by table_name
),

rejected as (
    select table_name, count(distinct line) as n from rejects group by table_name
),

loaded as (
    select 'clients' as table_name, count(*) as n from clients
    union all select 'episodes', count(*) from episodes
    union all select 'attendance', count(*) from attendance
    union all select 'assessments', count(*) from assessments
    union all select 'relapse_events', count(*) from relapse_events
),

final as (
    select
        f.table_name,
        f.file_name,
        f.rows_read,
        coalesce(d.n, 0) as duplicates,
        coalesce(r.n, 0) as rejected,
        l.n as loaded,
        f.load_order
    from files as f
    left join duplicates as d on f.table_name = d.table_name
    left join rejected as r on f.table_name = r.table_name
    left join loaded as l on f.table_name = l.table_name
)

select table_name, file_name, rows_read, duplicates, rejected, loaded
from final
order by load_order
