-- name: step_down_rate
-- title: Step-down: residential discharges followed by a lower level within N days
-- description: One row per N (7 and 30 days). Eligible: episodes at level 3.0 or above (the
--   program and site filters apply to them) discharged in the period with reason completed or
--   transferred and discharge_date + N on or before the as-of date. Stepped down: the same
--   client has any episode (any program or site) at a lower level admitted 0..N days after that
--   discharge (the discharge day counts; the two need not share a stay). rate = stepped_down /
--   eligible, null when none are eligible.
-- params: start_date date, end_date date, program varchar, site varchar
-- columns: days, stepped_down, eligible, rate

with

horizons as (
    select unnest([7, 30]) as days
),

discharges as (
    select * from step_down_outcomes($start_date, $end_date, $program, $site)
),

final as (
    select
        h.days,
        count(d.episode_id) filter (where d.gap_days <= h.days) as stepped_down,
        count(d.episode_id) as eligible,
        count(d.episode_id) filter (where d.gap_days <= h.days) / nullif(count(d.episode_id), 0) as rate
    from horizons as h
    left join discharges as d on d.discharge_date + h.days <= d.as_of
    group by h.days
    order by h.days
)

select * from final
