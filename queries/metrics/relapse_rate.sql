-- name: relapse_rate
-- title: Relapse days per 1,000 client-days in focus care
-- description: Client-days: the distinct (client, day) pairs with the day in the period and
--   inside at least one of the client's focus episode windows (overlapping windows count a
--   day once). Relapse days: the distinct (client, event_date) pairs of relapse events of any
--   type dated in the period and inside such a window, whatever episode the event belongs to
--   (two events of one client on one day are one relapse day). rate_per_1000_days = 1000 x
--   relapse_days / client_days, null with no client-days.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: relapse_days, client_days, rate_per_1000_days

with

period as (
    select * from reporting_period($start_date, $end_date)
),

windows_in_period as (
    -- each focus window, cut to the period
    select
        e.client_id,
        greatest(e.admit_date, p.period_start) as day_from,
        least(e.window_end, p.period_end) as day_to
    from focus_episodes($focus, $program, $site) as e
    inner join period as p on e.admit_date <= p.period_end and e.window_end >= p.period_start
),

ordered as (
    select
        *,
        max(day_to) over (
            partition by client_id order by day_from, day_to
            rows between unbounded preceding and 1 preceding
        ) as earlier_day_to
    from windows_in_period
),

islands as (
    -- overlapping windows of a client merge into one island so no day counts twice
    select
        *,
        sum(case when earlier_day_to is null or day_from > earlier_day_to then 1 else 0 end) over (
            partition by client_id order by day_from, day_to rows unbounded preceding
        ) as island
    from ordered
),

island_days as (
    select client_id, island, max(day_to) - min(day_from) + 1 as days
    from islands
    group by client_id, island
),

relapse_days as (
    select distinct r.client_id, r.event_date
    from relapses as r
    inner join windows_in_period as w
        on r.client_id = w.client_id and r.event_date between w.day_from and w.day_to
),

final as (
    select
        (select count(*) from relapse_days) as relapse_days,
        (select coalesce(sum(days), 0) from island_days) as client_days,
        1000.0 * (select count(*) from relapse_days)
        / nullif((select coalesce(sum(days), 0) from island_days), 0) as rate_per_1000_days
)

select * from final
