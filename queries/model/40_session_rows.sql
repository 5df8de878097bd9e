-- name: session_rows
-- title: Attendance rows made into sessions, one row per session
-- description: A view over the attendance rows dated on or before the as-of date. Rows of one
--   client with the same non-empty session_id are one session; where they disagree, the row
--   that speaks for the session is the first by status (attended, no_show, cancelled,
--   excused), then by date, then by file line. Rows without a session_id are sessions of their
--   own. rows_in_session counts the rows behind a session and disagrees marks sessions whose
--   rows differ in date, type or status (listed on the Data page). Only the rows whose
--   session_key_hash(client_id, session_id) is in attendance_repeated_keys are grouped
--   exactly, so the common case, one row a session, costs one pass. The build writes that
--   table while it looks for duplicate rows: the hashes of the (client_id, session_id) pairs
--   that more than one loaded row shares (a superset: a pair repeated only by an exact
--   duplicate counts too, and a hash can collide, which only sends a few single rows through
--   the exact grouping).
-- params:
-- columns: line, client_id, session_id, session_date, session_type, status, episode_id, topic, clinician, duration_minutes, guests, rows_in_session, disagrees
-- materialize: view

with

known_rows as not materialized (
    select *
    from attendance
    where session_date <= as_of_date()
),

repeated_keys as (
    select key_hash from attendance_repeated_keys
),

candidates as (
    select *
    from known_rows
    where session_id is not null and session_key_hash(client_id, session_id) in (select key_hash from repeated_keys)
),

grouped as (
    select
        *,
        row_number() over same_session as pick,
        count(*) over same_session as rows_in_session,
        min(session_date) over same_session <> max(session_date) over same_session
        or min(session_type) over same_session <> max(session_type) over same_session
        or min(status) over same_session <> max(status) over same_session as disagrees
    from candidates
    window same_session as (
        partition by client_id, session_id
        order by
            list_position(['attended', 'no_show', 'cancelled', 'excused'], status), session_date, line
        rows between unbounded preceding and unbounded following
    )
),

single_rows as (
    select *, 1 as rows_in_session, false as disagrees
    from known_rows
    where session_id is null or session_key_hash(client_id, session_id) not in (select key_hash from repeated_keys)
),

final as (
    select
        line, client_id, session_id, session_date, session_type, status, episode_id, topic,
        clinician, duration_minutes, guests, rows_in_session, disagrees
    from grouped
    where pick = 1
    union all
    select
        line, client_id, session_id, session_date, session_type, status, episode_id, topic,
        clinician, duration_minutes, guests, rows_in_session, disagrees
    from single_rows
)

select * from final
