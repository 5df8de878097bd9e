-- name: workshop_sessions
-- title: Family workshop sessions, with the workshop each was and the episode it belongs to
-- description: One row per workshop session (session_type workshop; see session_rows) dated
--   on or before the as-of date, with its topic, guests, the episode it belongs to (see
--   belonging, already applied in sessions) and that episode's level, program, site and stay.
--   The topic, guests and session_id are those of the row that speaks for the session
--   (sessions.line). workshop_key names the workshop: its session_id, else its date and topic
--   compared case-insensitively with spaces, hyphens and underscores alike.
-- params:
-- columns: line, client_id, session_date, status, topic, guests, workshop_key, episode_id, level_code, program, site, stay_id
-- materialize: table

with

workshop_sessions_ as (
    select line, session_date, status, episode_id
    from sessions
    where session_type = 'workshop'
),

attendance_rows as (
    select line, client_id, session_id, topic, guests from attendance
),

episodes as (
    select episode_id, level_code, program, site, stay_id from episode_windows
),

workshop_rows as (
    select w.*, a.client_id, a.session_id, a.topic, a.guests
    from workshop_sessions_ as w
    inner join attendance_rows as a on w.line = a.line
),

final as (
    select
        w.line,
        w.client_id,
        w.session_date,
        w.status,
        w.topic,
        w.guests,
        coalesce(
            'id:' || w.session_id,
            'date:' || cast(w.session_date as varchar) || '|' || coalesce(vocab_key(w.topic), '')
        ) as workshop_key,
        w.episode_id,
        e.level_code,
        e.program,
        e.site,
        e.stay_id
    from workshop_rows as w
    left join episodes as e on w.episode_id = e.episode_id
)

select * from final
