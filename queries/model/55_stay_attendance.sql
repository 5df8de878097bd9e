-- name: stay_attendance
-- title: Each stay's attended treatment sessions, by date
-- description: One row per stay with at least one attended treatment session (any type but
--   workshop) belonging to one of its episodes: the date of the last one and the list of
--   their dates, one per session (a date repeats), in no particular order: readers filter
--   it (sorting ten million dates into their stays took half the time of this table). The
--   retention, continuation and Kaplan-Meier macros read this small table instead of the
--   sessions.
-- params:
-- columns: stay_id, last_attended, attended_dates
-- materialize: table

with

attended as (
    select stay_id, session_date
    from sessions
    where is_treatment and status = 'attended' and stay_id is not null
),

final as (
    select
        stay_id,
        max(session_date) as last_attended,
        list(session_date) as attended_dates
    from attended
    group by stay_id
)

select * from final
