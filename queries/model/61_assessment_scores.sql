-- name: assessment_scores
-- title: Assessment scores with the episode they belong to
-- description: One row per assessment dated on or before the as-of date, with the episode it
--   belongs to (see row_episodes).
-- params: as_of date
-- columns: line, client_id, assessment_date, instrument, score, named_episode_id, episode_id, matched_by, outside_named_window
-- materialize: table

with

scores as (
    select * from assessments where assessment_date <= $as_of
),

belonging as (
    select * from row_episodes where source = 'assessments'
),

final as (
    select
        a.line,
        a.client_id,
        a.assessment_date,
        a.instrument,
        a.score,
        a.episode_id as named_episode_id,
        b.episode_id,
        b.matched_by,
        b.outside_named_window
    from scores as a
    inner join belonging as b on a.line = b.line
)

select * from final
