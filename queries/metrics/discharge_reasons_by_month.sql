-- name: discharge_reasons_by_month
-- title: Discharge reasons by discharge month
-- description: One row per calendar month with a discharge in the period and per discharge
--   reason seen in the period (0 where a month has none of that reason). Discharges are focus
--   episodes (program and site filters apply) whose discharge_date, as known on the as-of
--   date, falls in the period, placed in the month of that date. month_discharges counts all
--   reasons of the month; share = discharges / month_discharges. Summed over the months,
--   completed / discharges is the completion rate of the period.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: month, discharge_reason, discharges, month_discharges, share

with

discharged as (
    select e.episode_id, e.discharge_reason, cast(date_trunc('month', e.discharge_date) as date) as month
    from focus_discharges($start_date, $end_date, $focus, $program, $site) as e
),

months as (
    select month, count(*) as month_discharges from discharged group by month
),

reasons as (
    select distinct discharge_reason from discharged
),

counts as (
    select month, discharge_reason, count(*) as discharges
    from discharged
    group by month, discharge_reason
),

final as (
    select
        m.month,
        r.discharge_reason,
        coalesce(c.discharges, 0) as discharges,
        m.month_discharges,
        coalesce(c.discharges, 0) / m.month_discharges as share
    from months as m
    cross join reasons as r
    left join counts as c on m.month = c.month and r.discharge_reason = c.discharge_reason
    order by m.month, r.discharge_reason
)

select * from final
