-- name: sessions
-- title: Sessions with the episode they belong to
-- description: One row per session (see session_rows) with the episode it belongs to (see
--   row_episodes) and that episode's level, program, site and stay. is_treatment is true for
--   every session type except workshop; workshop_key names the workshop a workshop session was
--   (its session_id, else its date and topic compared case-insensitively with spaces, hyphens
--   and underscores alike).
-- params:
-- columns: line, client_id, session_id, session_date, session_type, status, is_treatment, topic, clinician, duration_minutes, guests, rows_in_session, disagrees, named_episode_id, episode_id, matched_by, outside_named_window, level_code, program, site, stay_id, workshop_key
-- materialize: table

with

session_rows_ as (
    select * from session_rows
),

belonging as (
    select * from row_episodes where source = 'attendance'
),

final as (
    select
        s.line,
        s.client_id,
        s.session_id,
        s.session_date,
        s.session_type,
        s.status,
        s.session_type <> 'workshop' as is_treatment,
        s.topic,
        s.clinician,
        s.duration_minutes,
        s.guests,
        s.rows_in_session,
        s.disagrees,
        s.episode_id as named_episode_id,
        b.episode_id,
        b.matched_by,
        b.outside_named_window,
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
    from session_rows_ as s
    inner join belonging as b on s.line = b.line
    left join episode_windows as e on b.episode_id = e.episode_id
)

select * from final
