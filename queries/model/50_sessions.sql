-- name: sessions
-- title: Sessions with the episode they belong to
-- description: One row per session (see session_rows) with the episode it belongs to (see
--   belonging) and that episode's level, program, site and stay. is_treatment is true for
--   every session type except workshop; workshop_key names the workshop a workshop session was
--   (its session_id, else its date and topic compared case-insensitively with spaces, hyphens
--   and underscores alike). The table keeps what the metrics read (ten million rows are
--   written once); session_id, clinician, duration and the session's row count are in
--   session_rows and attendance.
-- params:
-- columns: line, client_id, session_date, session_type, status, is_treatment, topic, guests, episode_id, matched_by, outside_named_window, level_code, program, site, stay_id, workshop_key
-- materialize: table

with

belonging_sessions as (
    select * from belonging('attendance')
),

episodes as (
    select episode_id, level_code, program, site, stay_id from episode_windows
),

final as (
    select
        s.line,
        s.client_id,
        s.session_date,
        s.session_type,
        s.status,
        s.session_type <> 'workshop' as is_treatment,
        s.topic,
        s.guests,
        s.episode_id,
        s.matched_by,
        s.outside_named_window,
        e.level_code,
        e.program,
        e.site,
        e.stay_id,
        if(
            s.session_type = 'workshop',
            coalesce(
                'id:' || s.session_id,
                'date:' || cast(s.session_date as varchar) || '|' || coalesce(vocab_key(s.topic), '')
            ),
            null
        ) as workshop_key
    from belonging_sessions as s
    left join episodes as e on s.episode_id = e.episode_id
)

select * from final
