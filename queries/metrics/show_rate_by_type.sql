-- name: show_rate_by_type
-- title: Show rate by session type
-- description: One row per session type with a session in the period. Sessions dated in the
--   period that belong to a focus episode (program and site filters apply to that episode),
--   as for the show-rate tile. rate = attended / (attended + no_show); cancelled and excused
--   count in neither; null when a type has neither.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: session_type, attended, no_show, cancelled, excused, rate

with

sessions_in_period as (
    select session_type, status
    from focus_sessions($start_date, $end_date, $focus, $program, $site)
),

final as (
    select
        session_type,
        count(*) filter (where status = 'attended') as attended,
        count(*) filter (where status = 'no_show') as no_show,
        count(*) filter (where status = 'cancelled') as cancelled,
        count(*) filter (where status = 'excused') as excused,
        show_rate(status) as rate
    from sessions_in_period
    group by session_type
    order by list_position(['group', 'individual', 'family', 'medication', 'other', 'workshop'], session_type)
)

select * from final
