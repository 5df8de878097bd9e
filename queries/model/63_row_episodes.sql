-- name: row_episodes
-- title: Which episode each session, assessment and relapse event belongs to
-- description: A view: one row per session, assessment and relapse event dated on or before
--   the as-of date (from sessions, assessment_scores and relapses), with the episode it belongs
--   to, the rule that matched it and whether its date is outside the episode it names. Rows
--   that belong to no episode have a null episode_id. A session's rule is not stored with it:
--   it was matched by episode_id exactly when it belongs to the episode its row names (a row
--   naming an unknown episode, or another client's, cannot be matched to it by date).
-- params:
-- columns: source, line, client_id, row_date, named_episode_id, episode_id, matched_by, outside_named_window
-- materialize: view

with

final as (
    select
        'attendance' as source, s.line, a.client_id, s.session_date as row_date,
        a.episode_id as named_episode_id, s.episode_id,
        case
            when s.episode_id is null then null
            when s.episode_id = a.episode_id then 'episode_id'
            else 'date'
        end as matched_by,
        s.outside_named_window
    from sessions as s
    inner join attendance as a on s.line = a.line
    union all
    select
        'assessments', line, client_id, assessment_date, named_episode_id, episode_id,
        matched_by, outside_named_window
    from assessment_scores
    union all
    select
        'relapse_events', line, client_id, event_date, named_episode_id, episode_id,
        matched_by, outside_named_window
    from relapses
)

select * from final
