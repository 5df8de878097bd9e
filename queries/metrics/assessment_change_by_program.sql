-- name: assessment_change_by_program
-- title: PHQ-9 and GAD-7 change by program, with the episodes that have no follow-up
-- description: One row per (thresholded instrument, program) among focus episodes discharged in
--   the period (cut at the as-of date); program 'not recorded' when the episode has none.
--   From episode_measures (baseline = earliest score admit_date - 7 .. admit_date + 14,
--   follow-up = latest score baseline date + 14 .. discharge_date, several scores on one date
--   count as their mean; change = baseline - follow-up, a fall is positive). measured: with
--   both; no_followup: a baseline but no follow-up; no_baseline: no baseline. mean_change
--   over the measured, lower .. upper its 95% interval (Student's t, see ci95; null with fewer
--   than 2); improved / deteriorated: a fall / rise of at least the reliable change.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: instrument, program, discharges, measured, no_followup, no_baseline, mean_change, lower, upper, improved, deteriorated

with

discharged as (
    select e.episode_id, coalesce(e.program, 'not recorded') as program
    from focus_discharges($start_date, $end_date, $focus, $program, $site) as e
),

measures as (
    select
        d.program,
        m.*,
        m.baseline is not null and m.followup is not null as measured
    from episode_measures as m
    inner join discharged as d on m.episode_id = d.episode_id
),

final as (
    select
        instrument,
        program,
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
    group by instrument, program
)

select * from final order by instrument desc, program
