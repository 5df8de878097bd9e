-- name: period_months
-- title: The calendar months of the period, with the days of each inside it
-- description: A table macro: period_months(start_date, end_date) returns one row per calendar
--   month that overlaps the period (start .. end, cut at the as-of date; none when the period
--   starts after it): month_start, and days_from .. days_to, the month's days inside the
--   period (the first and last month may be partial).
-- params:
-- columns: month_start, days_from, days_to
-- materialize: macro

-- sqlfluff reads the macro's parameters as unqualified columns:
-- noqa: disable=RF02,RF03
create or replace macro period_months(start_date, end_date) as table
    select
        cast(m.month_start as date) as month_start,
        greatest(cast(m.month_start as date), p.period_start) as days_from,
        least(cast(m.month_start + interval 1 month as date) - 1, p.period_end) as days_to
    from reporting_period(start_date, end_date) as p
    cross join
        unnest(
            generate_series(date_trunc('month', p.period_start), p.period_end, interval 1 month)
        ) as m (month_start)
    where not p.is_empty;
