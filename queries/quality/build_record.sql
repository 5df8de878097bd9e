-- name: build_record
-- title: When the database was built, from where, and its as-of date
-- description: One row from build_info: build id and time, the build date (used for the
--   "not in the future" rule), the as-of date, the hash of the model SQL it was built with and
--   the exports folder.
-- params:
-- columns: build_id, built_at, build_date, as_of, model_hash, exports_folder

select build_id, built_at, build_date, as_of, model_hash, exports_folder from build_info
