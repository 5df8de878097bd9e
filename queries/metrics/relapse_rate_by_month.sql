-- name: relapse_rate_by_month
-- title: Relapse days per 1,000 client-days, by calendar month
-- description: One row per calendar month that overlaps the period (cut at the as-of date;
--   none when the period starts after it); days_from .. days_to are the month's days inside
--   the period, so the first and last month may be partial. Client-days: distinct (client,
--   day) with the day in that part of the month and inside at least one of the client's focus
--   episode windows (admit_date .. discharge or as-of date). Relapse days: distinct (client,
--   event_date) of relapse events of any type on such a client-day, whatever episode the event
--   names. The same counts as relapse_rate, split by month (the months add up to its totals).
--   rate_per_1000_days = 1000 x relapse_days / client_days, null with no client-days.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: month_start, days_from, days_to, relapse_days, client_days, rate_per_1000_days

with

months as (
    select * from period_months($start_date, $end_date)
),

care_spans_ as (
    -- the days each client was in focus care in the period, overlapping windows merged
    select * from care_spans($start_date, $end_date, $focus, $program, $site, false)
),

relapse_days as (
    select distinct r.client_id, r.event_date as day
    from relapses as r
    inner join care_spans_ as c
        on r.client_id = c.client_id and r.event_date between c.day_from and c.day_to
),

monthly_client_days as (
    -- the days of each care span inside each month
    select
        m.month_start,
        coalesce(sum(least(c.day_to, m.days_to) - greatest(c.day_from, m.days_from) + 1), 0) as client_days
    from months as m
    left join care_spans_ as c on c.day_from <= m.days_to and c.day_to >= m.days_from
    group by m.month_start
),

monthly_relapse_days as (
    select m.month_start, count(r.day) as relapse_days
    from months as m
    left join relapse_days as r on r.day between m.days_from and m.days_to
    group by m.month_start
),

final as (
    select
        m.month_start,
        m.days_from,
        m.days_to,
        r.relapse_days,
        cast(c.client_days as bigint) as client_days,
        1000.0 * r.relapse_days / nullif(c.client_days, 0) as rate_per_1000_days
    from months as m
    inner join monthly_client_days as c on m.month_start = c.month_start
    inner join monthly_relapse_days as r on m.month_start = r.month_start
)

select * from final order by month_start
