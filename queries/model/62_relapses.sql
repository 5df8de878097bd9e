-- name: relapses
-- title: Relapse events with the episode they belong to
-- description: One row per relapse event dated on or before the as-of date, with the episode
--   it belongs to (see row_episodes).
-- params: as_of date
-- columns: line, client_id, event_date, event_type, substance, named_episode_id, episode_id, matched_by, outside_named_window
-- materialize: table

with

events as (
    select * from relapse_events where event_date <= $as_of
),

belonging as (
    select * from row_episodes where source = 'relapse_events'
),

final as (
    select
        r.line,
        r.client_id,
        r.event_date,
        r.event_type,
        r.substance,
        r.episode_id as named_episode_id,
        b.episode_id,
        b.matched_by,
        b.outside_named_window
    from events as r
    inner join belonging as b on r.line = b.line
)

select * from final
