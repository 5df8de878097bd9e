-- name: relapse_by_level
-- title: Relapse days per 1,000 client-days by level of care
-- description: One row per level of care (3.7-WM counts as 3.7) with an episode window in the
--   period (cut at the as-of date): every level, not only the focus levels (is_focus marks
--   those); the program and site filters apply to the episodes. Client-days of a level:
--   distinct (client, day) with the day in the period and inside at least one of the client's
--   episode windows at that level. Relapse days of a level: distinct (client, event_date) of
--   relapse events of any type on such a client-day, whatever episode the event names. A day
--   inside windows at two levels (an overlap on a transfer day) counts at both.
--   rate_per_1000_days = 1000 x relapse_days / client_days.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: level_code, level_num, is_focus, episodes, relapse_days, client_days, rate_per_1000_days

with

period as (
    select * from reporting_period($start_date, $end_date)
),

windows as (
    -- each episode window, cut to the period
    select
        e.episode_id,
        e.client_id,
        e.level_code,
        e.level_num,
        greatest(e.admit_date, p.period_start) as day_from,
        least(e.window_end, p.period_end) as day_to
    from scoped_episodes($program, $site) as e
    inner join period as p on e.admit_date <= p.period_end and e.window_end >= p.period_start
),

level_spans as (
    -- the days each client was in care at each level in the period, overlaps merged per level
    select * from care_spans($start_date, $end_date, null, $program, $site, true)
),

relapse_days as (
    select distinct c.level_code, r.client_id, r.event_date
    from relapses as r
    inner join level_spans as c
        on r.client_id = c.client_id and r.event_date between c.day_from and c.day_to
),

levels as (
    select level_code, any_value(level_num) as level_num, count(*) as episodes
    from windows
    group by level_code
),

level_client_days as (
    select level_code, cast(sum(day_to - day_from + 1) as bigint) as client_days
    from level_spans
    group by level_code
),

level_relapse_days as (
    select level_code, count(*) as relapse_days from relapse_days group by level_code
),

final as (
    select
        l.level_code,
        l.level_num,
        list_contains(cast($focus as varchar[]), l.level_code) as is_focus,
        l.episodes,
        coalesce(r.relapse_days, 0) as relapse_days,
        c.client_days,
        1000.0 * coalesce(r.relapse_days, 0) / nullif(c.client_days, 0) as rate_per_1000_days
    from levels as l
    inner join level_client_days as c on l.level_code = c.level_code
    left join level_relapse_days as r on l.level_code = r.level_code
)

select * from final order by level_num
