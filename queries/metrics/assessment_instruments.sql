-- name: assessment_instruments
-- title: The instruments in the assessments export
-- description: One row per instrument with a score dated on or before the as-of date:
--   thresholded instruments (instrument_thresholds: PHQ-9, GAD-7) first, then the others
--   (e.g. BAM) by name, with the number of scores, the clients scored and the score range.
-- params:
-- columns: instrument, thresholded, scores, clients, min_score, max_score

with

scores as (
    select * from assessment_scores
),

final as (
    select
        s.instrument,
        s.instrument in (select instrument from instrument_thresholds) as thresholded,
        count(*) as scores,
        count(distinct s.client_id) as clients,
        min(s.score) as min_score,
        max(s.score) as max_score
    from scores as s
    group by s.instrument
)

select * from final order by thresholded desc, instrument desc
