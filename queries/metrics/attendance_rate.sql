-- name: attendance_rate
-- title: Show rate: attended / (attended + no-show)
-- description: Sessions of any type (workshops too) dated in the period that belong to a focus
--   episode (program and site filters apply to that episode). rate = attended / (attended +
--   no_show); cancelled and excused sessions count in neither; null when there are none.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: attended, no_show, cancelled, excused, rate

with

sessions_in_period as (
    select status from focus_sessions($start_date, $end_date, $focus, $program, $site)
),

final as (
    select
        count(*) filter (where status = 'attended') as attended,
        count(*) filter (where status = 'no_show') as no_show,
        count(*) filter (where status = 'cancelled') as cancelled,
        count(*) filter (where status = 'excused') as excused,
        show_rate(status) as rate
    from sessions_in_period
)

select * from final
