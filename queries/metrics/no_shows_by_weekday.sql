-- name: no_shows_by_weekday
-- title: No-shows by day of the week
-- description: One row per day of the week (Monday = 1 .. Sunday = 7) with a scheduled session
--   in the period. Sessions of any type dated in the period that belong to a focus episode
--   (program and site filters apply to that episode). scheduled = attended + no_show
--   (cancelled and excused are left out, as in the show rate); no_show_share = no_show /
--   scheduled.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: weekday, weekday_name, scheduled, no_show, no_show_share

with

scheduled_sessions as (
    select isodow(session_date) as weekday, status
    from focus_sessions($start_date, $end_date, $focus, $program, $site)
    where status in ('attended', 'no_show')
),

final as (
    select
        weekday,
        ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'][weekday] as weekday_name,
        count(*) as scheduled,
        count(*) filter (where status = 'no_show') as no_show,
        count(*) filter (where status = 'no_show') / count(*) as no_show_share
    from scheduled_sessions
    group by weekday
    order by weekday
)

select * from final
