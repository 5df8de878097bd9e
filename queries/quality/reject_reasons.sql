-- name: reject_reasons
-- title: Rejected rows by file, column and reason
-- description: One row per (file, column, reason) with the number of rejected rows and the
--   first line where it happens. A row that breaks several rules counts once per rule.
-- params:
-- columns: table_name, source_file, column_name, reason, rows, first_line

select
    table_name,
    source_file,
    column_name,
    reason,
    count(*) as rows,
    min(line) as first_line
from rejects
group by table_name, source_file, column_name, reason
order by count(*) desc, table_name, column_name
