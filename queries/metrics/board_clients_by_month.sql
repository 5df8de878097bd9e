-- name: board_clients_by_month
-- title: Clients in focus care by calendar month (what the board's monthly relapse rate rests on)
-- description: One row per calendar month that overlaps the period (cut at the as-of date;
--   none when the period starts after it), the same months as relapse_rate_by_month; days_from
--   .. days_to are the month's days inside the period. clients = distinct clients with a day
--   in focus care among those days (care_spans: inside a focus episode window, program and
--   site filters applied): the clients whose client-days make the month's relapse rate. The
--   board leaves a month out when it rests on fewer than definitions.SMALL_CELL clients.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: month_start, days_from, days_to, clients

with

months as (
    select * from period_months($start_date, $end_date)
),

care_spans_ as (
    -- the days each client was in focus care in the period
    select * from care_spans($start_date, $end_date, $focus, $program, $site, false)
),

final as (
    select
        m.month_start,
        m.days_from,
        m.days_to,
        count(distinct c.client_id) as clients
    from months as m
    left join care_spans_ as c on c.day_from <= m.days_to and c.day_to >= m.days_from
    group by m.month_start, m.days_from, m.days_to
)

select * from final order by month_start
