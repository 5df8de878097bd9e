-- name: sessions
-- title: Sessions with the episode and stay they belong to
-- description: One row per session (see session_rows) with the episode it belongs to (see
--   belonging), whether its date is outside the episode it names and that episode's stay.
--   is_treatment is true for every session type except workshop. Ten million rows are
--   written once, so the table keeps only what the metrics read: the client of a session
--   that belongs to an episode is the episode's (belonging never crosses clients), and an
--   episode's level, program and site are in episode_windows; workshop topics, guests and
--   keys are in workshop_sessions; client_id, session_id, clinician and duration are in
--   attendance (join on line); the rule that matched a session is in row_episodes.
--   session_type and status are enums of the contract's values (session_type_code,
--   status_code): compared with text as text is ('attended'), a misspelt value is an error
--   rather than no rows, and they sort in the contract's order (group, individual, ...).
-- params:
-- columns: line, session_date, session_type, status, is_treatment, episode_id, outside_named_window, stay_id
-- materialize: table

with

belonging_sessions as (
    select * from belonging('attendance')
),

final as (
    select
        s.line,
        s.session_date,
        cast(s.session_type as session_type_code) as session_type,
        cast(s.status as status_code) as status,
        s.session_type <> 'workshop' as is_treatment,
        s.episode_id,
        s.outside_named_window,
        s.stay_id
    from belonging_sessions as s
)

select * from final
