-- name: rejected_rows
-- title: Every rejected row with its line, column, raw value and reason
-- description: The rejects table in file and line order, at most row_limit rows (the Data
--   page's download has them all). raw_value is the value as written in the export.
-- params: row_limit integer
-- columns: table_name, source_file, line, column_name, raw_value, reason

select table_name, source_file, line, column_name, raw_value, reason
from rejects
order by table_name, source_file, line, column_name
limit $row_limit
