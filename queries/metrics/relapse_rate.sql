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

care as (
    -- the days each client was in focus care in the period, overlapping windows merged
    select * from care_spans($start_date, $end_date, $focus, $program, $site, false)
),

relapse_days as (
    select distinct r.client_id, r.event_date
    from relapses as r
    inner join care as c
        on r.client_id = c.client_id and r.event_date between c.day_from and c.day_to
),

final as (
    select
        (select count(*) from relapse_days) as relapse_days,
        (select coalesce(sum(day_to - day_from + 1), 0) from care) as client_days,
        1000.0 * (select count(*) from relapse_days)
        / nullif((select coalesce(sum(day_to - day_from + 1), 0) from care), 0) as rate_per_1000_days
)

select * from final
