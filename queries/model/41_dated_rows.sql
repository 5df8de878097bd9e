-- name: dated_rows
-- title: Every dated row that can belong to an episode: sessions, assessments, relapse events
-- description: A view: the sessions (session_rows), assessments and relapse events dated on or
--   before the as-of date, one above the other (union by name: a column one source lacks is
--   null). source names the table, row_date is the session, assessment or event date and
--   named_episode_id the episode_id the row gives. belonging() reads it.
-- params:
-- columns: source, line, client_id, row_date, named_episode_id, session_id, session_date, session_type, status, topic, clinician, duration_minutes, guests, rows_in_session, disagrees, assessment_date, instrument, score, event_date, event_type, substance
-- materialize: view

with

sessions_ as (
    select
        'attendance' as source, line, client_id, session_date as row_date,
        episode_id as named_episode_id, session_id, session_date, session_type, status, topic,
        clinician, duration_minutes, guests, rows_in_session, disagrees
    from session_rows
),

assessments_ as (
    select
        'assessments' as source, line, client_id, assessment_date as row_date,
        episode_id as named_episode_id, assessment_date, instrument, score
    from assessments
    where assessment_date <= as_of_date()
),

events_ as (
    select
        'relapse_events' as source, line, client_id, event_date as row_date,
        episode_id as named_episode_id, event_date, event_type, substance
    from relapse_events
    where event_date <= as_of_date()
),

final as (
    select * from sessions_
    union all by name
    select * from assessments_
    union all by name
    select * from events_
)

select * from final
