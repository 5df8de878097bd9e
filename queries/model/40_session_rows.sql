-- name: session_rows
-- title: Attendance rows made into sessions, one row per session
-- description: Attendance rows dated on or before the as-of date. Rows of one client with the
--   same non-empty session_id are one session; where they disagree, the row that speaks for the
--   session is the first by status (attended, no_show, cancelled, excused), then by date, then
--   by file line. Rows without a session_id are sessions of their own. rows_in_session counts
--   the rows behind a session and disagrees marks sessions whose rows differ in date, type or
--   status (listed on the Data page).
-- params: as_of date
-- columns: line, client_id, session_id, session_date, session_type, status, episode_id, topic, clinician, duration_minutes, guests, rows_in_session, disagrees
-- materialize: table

with

known_rows as (
    select
        *,
        list_position(['attended', 'no_show', 'cancelled', 'excused'], status) as status_rank
    from attendance
    where session_date <= $as_of
),

rows_with_session_id as (
    select
        *,
        row_number() over same_session as pick,
        count(*) over same_session as rows_in_session,
        min(session_date) over same_session <> max(session_date) over same_session
        or min(session_type) over same_session <> max(session_type) over same_session
        or min(status) over same_session <> max(status) over same_session as disagrees
    from known_rows
    where session_id is not null
    window same_session as (
        partition by client_id, session_id order by status_rank, session_date, line
        rows between unbounded preceding and unbounded following
    )
),

picked as (
    select * exclude (pick) from rows_with_session_id where pick = 1
),

rows_without_session_id as (
    select *, 1 as rows_in_session, false as disagrees
    from known_rows
    where session_id is null
),

final as (
    select
        line, client_id, session_id, session_date, session_type, status, episode_id, topic,
        clinician, duration_minutes, guests, rows_in_session, disagrees
    from picked
    union all
    select
        line, client_id, session_id, session_date, session_type, status, episode_id, topic,
        clinician, duration_minutes, guests, rows_in_session, disagrees
    from rows_without_session_id
)

select * from final
