-- name: step_up_rate
-- title: Step-up: focus discharges followed by a higher level within 14 days
-- description: Eligible: focus episodes discharged in the period, whatever the reason, with
--   discharge_date + 14 on or before the as-of date. Stepped up: the same client has any
--   episode at a higher level admitted 0..14 days after that discharge. rate = stepped_up /
--   eligible, null when none are eligible.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: stepped_up, eligible, rate

with

eligible as (
    select *
    from step_up_outcomes($start_date, $end_date, $focus, $program, $site)
    where discharge_date + 14 <= as_of
),

final as (
    select
        count(*) filter (where gap_days <= 14) as stepped_up,
        count(*) as eligible,
        count(*) filter (where gap_days <= 14) / nullif(count(*), 0) as rate
    from eligible
)

select * from final
