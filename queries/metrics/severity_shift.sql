-- name: severity_shift
-- title: Severity band at baseline against severity band at follow-up (PHQ-9, GAD-7)
-- description: Measured focus episodes discharged in the period (cut at the as-of date): those
--   with a baseline and a follow-up in episode_measures (baseline = earliest score admit_date -
--   7 .. admit_date + 14, follow-up = latest score baseline date + 14 .. discharge_date; several
--   scores on one date count as their mean). A score's band is the severity_bands band with
--   the highest lowest-score at or below it (PHQ-9: none 0-4, mild 5-9, moderate 10-14,
--   moderately severe 15-19, severe 20-27), so a mean of 4.5 is in none. One row per
--   (instrument, baseline band, follow-up band) with episodes > 0.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: instrument, baseline_order, baseline_band, followup_order, followup_band, episodes

with

discharged as (
    select e.episode_id
    from focus_discharges($start_date, $end_date, $focus, $program, $site) as e
),

measured as (
    select m.episode_id, m.instrument, m.baseline, m.followup
    from episode_measures as m
    where
        m.episode_id in (select episode_id from discharged)
        and m.baseline is not null
        and m.followup is not null
),

bands as (
    select * from severity_bands
),

banded as (
    select
        m.episode_id,
        m.instrument,
        (
            select max(b.band_order) from bands as b
            where b.instrument = m.instrument and b.lowest <= m.baseline
        ) as baseline_order,
        (
            select max(b.band_order) from bands as b
            where b.instrument = m.instrument and b.lowest <= m.followup
        ) as followup_order
    from measured as m
),

final as (
    select
        x.instrument,
        x.baseline_order,
        bb.band as baseline_band,
        x.followup_order,
        fb.band as followup_band,
        count(*) as episodes
    from banded as x
    left join bands as bb on x.instrument = bb.instrument and x.baseline_order = bb.band_order
    left join bands as fb on x.instrument = fb.instrument and x.followup_order = fb.band_order
    group by all
)

select * from final order by instrument desc, baseline_order, followup_order
