-- name: show_rate_by_type
-- title: Show rate by session type
-- description: One row per session type with a session in the period. Sessions dated in the
--   period that belong to a focus episode (program and site filters apply to that episode),
--   as for the show-rate tile. rate = attended / (attended + no_show); cancelled and excused
--   count in neither; null when a type has neither.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: session_type, attended, no_show, cancelled, excused, rate

with

period as (
    select * from reporting_period($start_date, $end_date)
),

episodes as (
    select episode_id from focus_episodes($focus, $program, $site)
),

sessions_in_period as (
    select s.session_type, s.status
    from sessions as s
    inner join period as p on s.session_date between p.period_start and p.period_end
    where s.episode_id in (select episode_id from episodes)
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
