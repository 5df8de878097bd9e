-- name: reporting_period
-- title: The period a metric counts, cut at the as-of date
-- description: A table macro with one row. period_start .. period_end is start .. end with the
--   end cut at the as-of date (metrics never count days the data does not know yet);
--   is_empty is true when the period starts after that (then counts are 0 and rates null).
-- params:
-- columns: period_start, period_end, as_of, is_empty
-- materialize: macro

create or replace macro reporting_period(start_date, end_date) as table
    select
        cast(start_date as date) as period_start,
        least(cast(end_date as date), as_of) as period_end,
        as_of,
        cast(start_date as date) > least(cast(end_date as date), as_of) as is_empty
    from model_as_of;
