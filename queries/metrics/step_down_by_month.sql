-- name: step_down_by_month
-- title: Step-down follow-through by discharge month
-- description: One row per discharge month and N (7 and 30 days): the step-down rate of SPEC
--   section 4 (the kpis tiles step_down_7d_rate and step_down_30d_rate) split by the calendar
--   month of the discharge; summed over the months it gives the tiles. Eligible: episodes at
--   level 3.0 or above (program and site filters apply to them) discharged in the period with
--   reason completed or transferred and discharge_date + N on or before the as-of date.
--   Stepped down: the same client has any episode at a lower level admitted 0..N days after
--   that discharge. discharges counts the month's level-3 discharges (completed or
--   transferred) whether or not N days of follow-up are known yet; rate = stepped_down /
--   eligible, null when none are eligible.
-- params: start_date date, end_date date, program varchar, site varchar
-- columns: month, days, discharges, eligible, stepped_down, rate

with

high_level_discharges as (
    select *, cast(date_trunc('month', discharge_date) as date) as month
    from step_down_outcomes($start_date, $end_date, $program, $site)
),

horizons as (
    select unnest([7, 30]) as days
),

outcomes as (
    select
        d.month,
        h.days,
        d.discharge_date + h.days <= d.as_of as eligible,
        d.gap_days is not null and d.gap_days <= h.days as stepped_down
    from high_level_discharges as d
    cross join horizons as h
),

final as (
    select
        month,
        days,
        count(*) as discharges,
        count(*) filter (where eligible) as eligible,
        count(*) filter (where eligible and stepped_down) as stepped_down,
        count(*) filter (where eligible and stepped_down) / nullif(count(*) filter (where eligible), 0) as rate
    from outcomes
    group by month, days
    order by month, days
)

select * from final
