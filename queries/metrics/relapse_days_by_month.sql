-- name: relapse_days_by_month
-- title: Relapse days by month, by event type and by substance
-- description: Relapse days as in relapse_rate: distinct (client, event_date) of relapse events
--   dated in the period (cut at the as-of date) and inside at least one of the client's focus
--   episode windows, whatever episode the event names. A day with several events is shown
--   once, as the event first in type_order (overdose, positive screen, collateral report,
--   self-report, other), then with a recorded substance first, then by substance name and
--   file line; its type and its substance ('not recorded' when empty) are that event's. Two
--   rows per (month, category): split = 'event_type' and split = 'substance'; within each
--   split a month's rows add up to the month's relapse days (relapse_rate_by_month).
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar, type_order varchar[]
-- columns: month_start, split, category, relapse_days

with

period as (
    select * from reporting_period($start_date, $end_date)
),

focus_windows as (
    -- each focus window, cut to the period
    select
        e.client_id,
        greatest(e.admit_date, p.period_start) as day_from,
        least(e.window_end, p.period_end) as day_to
    from focus_episodes($focus, $program, $site) as e
    inner join period as p on e.admit_date <= p.period_end and e.window_end >= p.period_start
),

events_in_care as (
    select distinct r.line, r.client_id, r.event_date, r.event_type, r.substance
    from relapses as r
    inner join focus_windows as w
        on r.client_id = w.client_id and r.event_date between w.day_from and w.day_to
),

day_events as (
    -- the event that speaks for each relapse day
    select
        *,
        row_number() over (
            partition by client_id, event_date
            order by
                coalesce(list_position(cast($type_order as varchar[]), event_type), 99),
                substance is null,
                substance,
                line
        ) as pick
    from events_in_care
),

relapse_days as (
    select
        client_id,
        event_date,
        event_type,
        coalesce(substance, 'not recorded') as substance
    from day_events
    where pick = 1
),

final as (
    select
        cast(date_trunc('month', event_date) as date) as month_start,
        'event_type' as split,
        event_type as category,
        count(*) as relapse_days
    from relapse_days
    group by all
    union all
    select
        cast(date_trunc('month', event_date) as date) as month_start,
        'substance' as split,
        substance as category,
        count(*) as relapse_days
    from relapse_days
    group by all
)

select * from final order by month_start, split, category
