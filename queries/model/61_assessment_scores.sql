-- name: assessment_scores
-- title: Assessment scores with the episode they belong to
-- description: One row per assessment dated on or before the as-of date, with the episode it
--   belongs to (see belonging).
-- params:
-- columns: line, client_id, assessment_date, instrument, score, named_episode_id, episode_id, matched_by, outside_named_window
-- materialize: table

with

scores as (
    select * from belonging('assessments')
),

final as (
    select
        line, client_id, assessment_date, instrument, score, named_episode_id, episode_id,
        matched_by, outside_named_window
    from scores
)

select * from final
