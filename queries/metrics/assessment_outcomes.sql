-- name: assessment_outcomes
-- title: PHQ-9 and GAD-7 outcomes: reliable improvement and deterioration, response, remission
-- description: One row per thresholded instrument (instrument_thresholds: NHS Talking
--   Therapies). discharges: focus episodes discharged in the period (cut at the as-of date).
--   From episode_measures: with_baseline have a baseline (the client's earliest score dated
--   admit_date - 7 .. admit_date + 14); measured also have a follow-up (the latest dated
--   baseline date + 14 .. discharge_date); several scores on one date count as their mean.
--   no_baseline = discharges - with_baseline; no_followup = with_baseline - measured (never
--   dropped silently: the pages show them). Of the measured: improved = change (baseline -
--   follow-up) >= reliable_change; deteriorated = change <= -reliable_change (a rise of at
--   least the reliable change); responded = baseline > 0 and change >= response_fall x
--   baseline; remitted = follow-up < remission_below (null for an instrument without a
--   remission threshold). Rates are over measured (measurement_rate over discharges), null
--   when the denominator is 0.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: instrument, reliable_change, response_fall, remission_below, discharges, with_baseline, measured, no_baseline, no_followup, improved, deteriorated, responded, remitted, improvement_rate, deterioration_rate, response_rate, remission_rate, measurement_rate

with

discharged as (
    select e.episode_id
    from focus_discharges($start_date, $end_date, $focus, $program, $site) as e
),

measures as (
    select
        m.*,
        m.baseline is not null as has_baseline,
        m.baseline is not null and m.followup is not null as measured
    from episode_measures as m
    where m.episode_id in (select episode_id from discharged)
),

thresholds as (
    select * from instrument_thresholds
),

counts as (
    select
        t.instrument,
        t.reliable_change,
        t.response_fall,
        t.remission_below,
        count(m.episode_id) as discharges,
        count(m.episode_id) filter (where m.has_baseline) as with_baseline,
        count(m.episode_id) filter (where m.measured) as measured,
        count(m.episode_id) filter (where m.measured and m.change >= m.reliable_change) as improved,
        count(m.episode_id) filter (where m.measured and m.change <= -m.reliable_change) as deteriorated,
        count(m.episode_id) filter (
            where m.measured and m.baseline > 0 and m.change >= m.response_fall * m.baseline
        ) as responded,
        count(m.episode_id) filter (where m.measured and m.followup < m.remission_below) as remitted
    from thresholds as t
    left join measures as m on t.instrument = m.instrument
    group by all
),

final as (
    select
        instrument,
        reliable_change,
        response_fall,
        remission_below,
        discharges,
        with_baseline,
        measured,
        discharges - with_baseline as no_baseline,
        with_baseline - measured as no_followup,
        improved,
        deteriorated,
        responded,
        if(remission_below is null, null, remitted) as remitted,
        improved / nullif(measured, 0) as improvement_rate,
        deteriorated / nullif(measured, 0) as deterioration_rate,
        responded / nullif(measured, 0) as response_rate,
        if(remission_below is null, null, remitted / nullif(measured, 0)) as remission_rate,
        measured / nullif(discharges, 0) as measurement_rate
    from counts
)

select * from final order by instrument desc
