-- name: show_rate_by_week
-- title: Show rate by week
-- description: One row per calendar week (Monday to Sunday) with a session in the period.
--   Sessions of any type (workshops too) dated in the period that belong to a focus episode
--   (program and site filters apply to that episode), as for the show-rate tile. rate =
--   attended / (attended + no_show); cancelled and excused count in neither; null when a week
--   has neither. days_in_period is 7 except for a week cut by the period's first or last day.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: week_start, days_in_period, attended, no_show, cancelled, excused, rate

with

sessions_in_period as (
    select
        status,
        cast(date_trunc('week', session_date) as date) as week_start,
        period_start,
        period_end
    from focus_sessions($start_date, $end_date, $focus, $program, $site)
),

final as (
    select
        week_start,
        least(week_start + 6, any_value(period_end)) - greatest(week_start, any_value(period_start)) + 1
            as days_in_period,
        count(*) filter (where status = 'attended') as attended,
        count(*) filter (where status = 'no_show') as no_show,
        count(*) filter (where status = 'cancelled') as cancelled,
        count(*) filter (where status = 'excused') as excused,
        show_rate(status) as rate
    from sessions_in_period
    group by week_start
    order by week_start
)

select * from final
