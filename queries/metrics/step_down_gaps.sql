-- name: step_down_gaps
-- title: Days from a residential discharge to the next, lower level of care
-- description: One row per gap band. The discharges are those of the step-down rate: episodes
--   at level 3.0 or above (program and site filters apply to them) discharged in the period
--   with reason completed or transferred. gap = the days from the discharge to the client's
--   first admission at a lower level on or after the discharge date (any program, site or
--   stay). Bands: same day, 1 day, 2-3, 4-7, 8-14, 15-30, over 30 days, and 'none yet' (no
--   lower-level admission by the as-of date); follow_up_under_30 counts, in 'none yet', the
--   discharges with fewer than 30 days of follow-up known (they may still step down).
--   share = discharges / all the period's discharges.
-- params: start_date date, end_date date, program varchar, site varchar
-- columns: band_order, band, discharges, follow_up_under_30, share

with

high_level_discharges as (
    select * from step_down_outcomes($start_date, $end_date, $program, $site)
),

bands as (
    select
        unnest([1, 2, 3, 4, 5, 6, 7, 8]) as band_order,
        unnest([
            'same day', '1 day', '2-3 days', '4-7 days', '8-14 days', '15-30 days', 'over 30 days', 'none yet'
        ]) as band
),

banded as (
    select
        case
            when d.gap_days is null then 8
            when d.gap_days = 0 then 1
            when d.gap_days = 1 then 2
            when d.gap_days <= 3 then 3
            when d.gap_days <= 7 then 4
            when d.gap_days <= 14 then 5
            when d.gap_days <= 30 then 6
            else 7
        end as band_order,
        d.gap_days is null and d.discharge_date + 30 > d.as_of as follow_up_under_30
    from high_level_discharges as d
),

final as (
    select
        b.band_order,
        b.band,
        count(x.band_order) as discharges,
        count(x.band_order) filter (where x.follow_up_under_30) as follow_up_under_30,
        count(x.band_order) / nullif((select count(*) from banded), 0) as share
    from bands as b
    left join banded as x on b.band_order = x.band_order
    group by b.band_order, b.band
    order by b.band_order
)

select * from final
