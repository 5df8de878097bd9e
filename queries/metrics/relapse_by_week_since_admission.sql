-- name: relapse_by_week_since_admission
-- title: Relapse days per 1,000 episode-days by week since admission
-- description: Focus episodes whose window overlaps the period (cut at the as-of date). Each
--   day of an episode's window inside the period is an episode-day in week floor((day -
--   admit_date) / 7) since admission (week 0 = the admit day and the 6 days after it); weeks
--   from max_week on are one row, week = max_week ("max_week and later"). Relapse days: the
--   episode-days on which the client has a relapse event of any type (several events on one
--   day count once), whatever episode the event names. episodes: the episodes with a day in
--   that week (the number at risk). rate_per_1000_days = 1000 x relapse_days / episode_days.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar, max_week integer
-- columns: week, episodes, relapse_days, episode_days, rate_per_1000_days

with

period as (
    select * from reporting_period($start_date, $end_date)
),

windows as (
    select
        e.episode_id,
        e.client_id,
        e.admit_date,
        greatest(e.admit_date, p.period_start) as day_from,
        least(e.window_end, p.period_end) as day_to
    from focus_episodes($focus, $program, $site) as e
    inner join period as p on e.admit_date <= p.period_end and e.window_end >= p.period_start
),

episode_weeks as (
    -- each week since admission that the window (cut to the period) reaches, with its days
    select
        w.episode_id,
        least(cast(k.week as integer), $max_week) as week,
        least(w.day_to, w.admit_date + 7 * cast(k.week as integer) + 6)
        - greatest(w.day_from, w.admit_date + 7 * cast(k.week as integer)) + 1 as days
    from windows as w
    cross join unnest(
        range((w.day_from - w.admit_date) // 7, (w.day_to - w.admit_date) // 7 + 1)
    ) as k (week)
),

relapse_days as (
    -- the episode-days with a relapse event of the client (several events on one day: once)
    select distinct
        w.episode_id,
        least((r.event_date - w.admit_date) // 7, $max_week) as week,
        r.event_date
    from windows as w
    inner join relapses as r
        on w.client_id = r.client_id and r.event_date between w.day_from and w.day_to
),

weekly_days as (
    select week, count(distinct episode_id) as episodes, sum(days) as episode_days
    from episode_weeks
    group by week
),

weekly_relapses as (
    select week, count(*) as relapse_days from relapse_days group by week
),

final as (
    select
        d.week,
        d.episodes,
        coalesce(r.relapse_days, 0) as relapse_days,
        cast(d.episode_days as bigint) as episode_days,
        1000.0 * coalesce(r.relapse_days, 0) / d.episode_days as rate_per_1000_days
    from weekly_days as d
    left join weekly_relapses as r on d.week = r.week
)

select * from final order by week
