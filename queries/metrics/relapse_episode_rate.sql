-- name: relapse_episode_rate
-- title: Share of focus episodes with a relapse in the period
-- description: Eligible: focus episodes whose window (admit_date .. discharge or as-of date)
--   overlaps the period. With a relapse: the client has a relapse event of any type dated
--   inside both that window and the period. rate = with_relapse / episodes, null when none.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: with_relapse, episodes, rate

with

period as (
    select * from reporting_period($start_date, $end_date)
),

overlapping as (
    select
        e.episode_id,
        e.client_id,
        greatest(e.admit_date, p.period_start) as day_from,
        least(e.window_end, p.period_end) as day_to
    from focus_episodes($focus, $program, $site) as e
    inner join period as p on e.admit_date <= p.period_end and e.window_end >= p.period_start
),

with_relapse as (
    select distinct o.episode_id
    from overlapping as o
    inner join relapses as r
        on o.client_id = r.client_id and r.event_date between o.day_from and o.day_to
),

final as (
    select
        count(w.episode_id) as with_relapse,
        count(*) as episodes,
        count(w.episode_id) / nullif(count(*), 0) as rate
    from overlapping as o
    left join with_relapse as w on o.episode_id = w.episode_id
)

select * from final
