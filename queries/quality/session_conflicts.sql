-- name: session_conflicts
-- title: Sessions whose rows disagree
-- description: Sessions made of several attendance rows (same client and session_id) that
--   differ in date, type or status. The session counts once, as its row first by status
--   (attended, no_show, cancelled, excused), then date, then line; the other rows are listed
--   here for the team to correct in the EHR.
-- params:
-- columns: client_id, session_id, rows_in_session, line, session_date, session_type, status, episode_id

with

conflicting as (
    select client_id, session_id from session_rows where disagrees
),

final as (
    select
        a.client_id,
        a.session_id,
        count(*) over (partition by a.client_id, a.session_id) as rows_in_session,
        a.line,
        a.session_date,
        a.session_type,
        a.status,
        a.episode_id
    from attendance as a
    inner join conflicting as c on a.client_id = c.client_id and a.session_id = c.session_id
)

select * from final order by client_id, session_id, line
