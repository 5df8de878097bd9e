-- name: reliable_improvement
-- title: Reliable improvement and measurement completion (PHQ-9, GAD-7)
-- description: One row per thresholded instrument. discharges: focus episodes discharged in
--   the period. measured: those with a baseline (the client's earliest score dated
--   admit_date - 7 .. admit_date + 14) and a follow-up (the latest dated baseline date + 14 ..
--   discharge_date); several scores on one date count as their mean (see episode_measures).
--   improved: measured episodes whose score fell by at least the reliable change (PHQ-9 6,
--   GAD-7 4: NHS Talking Therapies). improvement_rate = improved / measured;
--   measurement_rate = measured / discharges; both null when their denominator is 0.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: instrument, discharges, measured, improved, improvement_rate, measurement_rate

with

discharged as (
    select e.episode_id
    from focus_discharges($start_date, $end_date, $focus, $program, $site) as e
),

measures as (
    select m.*, m.baseline is not null and m.followup is not null as measured
    from episode_measures as m
    where m.episode_id in (select episode_id from discharged)
),

instruments as (
    select instrument from instrument_thresholds
),

final as (
    select
        i.instrument,
        count(m.episode_id) as discharges,
        count(m.episode_id) filter (where m.measured) as measured,
        count(m.episode_id) filter (where m.measured and m.change >= m.reliable_change) as improved,
        count(m.episode_id) filter (where m.measured and m.change >= m.reliable_change)
        / nullif(count(m.episode_id) filter (where m.measured), 0) as improvement_rate,
        count(m.episode_id) filter (where m.measured) / nullif(count(m.episode_id), 0) as measurement_rate
    from instruments as i
    left join measures as m on i.instrument = m.instrument
    group by i.instrument
    order by i.instrument desc
)

select * from final
