-- name: last_attended_after_admission
-- title: The last attended treatment session of each admission's stay, on or after admission
-- description: A table macro: last_attended_after_admission(start_date, end_date, focus,
--   program_name, site_name) returns one row per focus admission in the period with the date
--   of the last attended treatment session (any type but workshop) that belongs to an episode
--   of its stay and is dated on or after its admit_date (null when there is none: an earlier
--   session of the stay, e.g. in residential care before the admission, does not count).
-- params:
-- columns: episode_id, last_attended_date
-- materialize: macro

-- sqlfluff reads the macro's parameters as unqualified columns:
-- noqa: disable=RF02
create or replace macro last_attended_after_admission(
    start_date, end_date, focus, program_name, site_name
) as table
    select
        a.episode_id,
        if(s.last_attended >= a.admit_date, s.last_attended, null) as last_attended_date
    from focus_admissions(start_date, end_date, focus, program_name, site_name) as a
    left join stay_attendance as s on a.stay_id = s.stay_id;
