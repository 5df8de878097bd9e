-- name: source_files
-- title: The export files the database was built from
-- description: One row per file read: its table, name, format, size, SHA-256, modification
--   time, rows read, how it was read (encoding or sheet), which columns fed the contract (with
--   any renaming) and which were ignored, in the order they were loaded (the contract's:
--   clients, episodes, attendance, assessments, relapse_events).
-- params:
-- columns: table_name, file_name, format, size_bytes, sha256, modified_at, rows_read, read_as, columns_used, columns_ignored, notes

select
    table_name, file_name, format, size_bytes, sha256, modified_at, rows_read, read_as,
    columns_used, columns_ignored, notes
from source_files
order by load_order
