-- name: assessment_change_by_los
-- title: PHQ-9 and GAD-7 change by length of stay, with the episodes that have no follow-up
-- description: As assessment_change_by_program, grouped by the episode's length of stay
--   (discharge_date - admit_date, days) in bands that start at each value of los_bands (e.g.
--   [0, 30, 60, 90]: 0-29, 30-59, 60-89, 90+ days). One row per (thresholded instrument,
--   band) among focus episodes discharged in the period (cut at the as-of date). band_from
--   .. band_to are the band's days (band_to null for the last). measured: with a baseline and
--   a follow-up in episode_measures; no_followup: a baseline but no follow-up; no_baseline:
--   none. mean_change (baseline - follow-up, a fall is positive) over the measured with its
--   95% interval (null with fewer than 2); improved / deteriorated: a fall / rise of at least
--   the reliable change.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar, los_bands integer[]
-- columns: instrument, band_from, band_to, discharges, measured, no_followup, no_baseline, mean_change, lower, upper, improved, deteriorated

with

bands as (
    select
        band_from,
        lead(band_from) over (order by band_from) - 1 as band_to
    from (select distinct unnest(cast($los_bands as integer[])) as band_from) as edges
),

discharged as (
    select e.episode_id, e.los_days
    from focus_discharges($start_date, $end_date, $focus, $program, $site) as e
),

measures as (
    select
        b.band_from,
        b.band_to,
        m.*,
        m.baseline is not null and m.followup is not null as measured
    from episode_measures as m
    inner join discharged as d on m.episode_id = d.episode_id
    inner join bands as b
        on d.los_days >= b.band_from and (b.band_to is null or d.los_days <= b.band_to)
),

final as (
    select
        instrument,
        band_from,
        band_to,
        count(*) as discharges,
        count(*) filter (where measured) as measured,
        count(*) filter (where baseline is not null and followup is null) as no_followup,
        count(*) filter (where baseline is null) as no_baseline,
        avg(change) filter (where measured) as mean_change,
        ci95_lower(if(measured, change, null)) as lower,
        ci95_upper(if(measured, change, null)) as upper,
        count(*) filter (where measured and change >= reliable_change) as improved,
        count(*) filter (where measured and change <= -reliable_change) as deteriorated
    from measures
    group by instrument, band_from, band_to
)

select * from final order by instrument desc, band_from
