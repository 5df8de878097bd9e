-- name: relapses
-- title: Relapse events with the episode they belong to
-- description: One row per relapse event dated on or before the as-of date, with the episode
--   it belongs to (see belonging).
-- params:
-- columns: line, client_id, event_date, event_type, substance, named_episode_id, episode_id, matched_by, outside_named_window
-- materialize: table

with

events as (
    select * from belonging('relapse_events')
),

final as (
    select
        line, client_id, event_date, event_type, substance, named_episode_id, episode_id,
        matched_by, outside_named_window
    from events
)

select * from final
