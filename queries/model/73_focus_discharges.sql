-- name: focus_discharges
-- title: Focus discharges: focus episodes discharged in the period
-- description: A table macro: focus_discharges(start_date, end_date, focus, program_name,
--   site_name) returns the focus episodes (see focus_episodes) whose discharge_date (as known
--   on the as-of date) falls in the period (start .. end, cut at the as-of date; none when the
--   period starts after it), with the as-of date beside them.
-- params:
-- columns: (the columns of episode_windows), as_of
-- materialize: macro

-- sqlfluff reads the macro's parameters as unqualified columns:
-- noqa: disable=RF02
create or replace macro focus_discharges(start_date, end_date, focus, program_name, site_name) as table
    select e.*, p.as_of
    from focus_episodes(focus, program_name, site_name) as e
    inner join reporting_period(start_date, end_date) as p
        on e.discharge_date between p.period_start and p.period_end;
