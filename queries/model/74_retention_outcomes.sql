-- name: retention_outcomes
-- title: Retention of each admission N days after admission (SPEC retention_{N}d)
-- description: A table macro: retention_outcomes(start_date, end_date, focus, program_name,
--   site_name, horizon_days) returns one row per focus admission in the period and N of
--   horizon_days (an integer list) for which the admission is eligible: admit_date + N on or
--   before the as-of date, leaving out admissions whose stay ended with reason transferred
--   before admit_date + N (they continued care elsewhere). retained: an attended treatment
--   session (any type but workshop) that belongs to an episode of the admission's stay and is
--   dated on or after admit_date + N, or a stay that ended with reason completed.
-- params:
-- columns: episode_id, client_id, stay_id, admit_date, days, retained
-- materialize: macro

-- sqlfluff reads the macro's parameters as unqualified columns:
-- noqa: disable=RF02
create or replace macro retention_outcomes(
    start_date, end_date, focus, program_name, site_name, horizon_days
) as table
    with

    horizons as (
        select distinct unnest(cast(horizon_days as integer[])) as days
    ),

    eligible as (
        select a.episode_id, a.client_id, a.stay_id, a.admit_date, h.days, s.is_ended, s.end_reason
        from focus_admissions(start_date, end_date, focus, program_name, site_name) as a
        cross join horizons as h
        inner join stays as s on a.stay_id = s.stay_id
        where
            a.admit_date + h.days <= a.as_of
            and not (s.is_ended and s.end_reason = 'transferred' and s.end_date < a.admit_date + h.days)
    ),

    final as (
        -- an attended treatment session of the stay on or after day N: the stay's last one is
        select
            e.episode_id,
            e.client_id,
            e.stay_id,
            e.admit_date,
            e.days,
            coalesce(a.last_attended >= e.admit_date + e.days, false)
            or (e.is_ended and e.end_reason = 'completed') as retained
        from eligible as e
        left join stay_attendance as a on e.stay_id = a.stay_id
    )

    select * from final;
