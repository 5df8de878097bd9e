-- name: show_rate_before_relapse
-- title: Early warning: show rate in the 14 days before a relapse against the rest of care
-- description: One row per client with a relapse in the period (paired: each client is
--   compared with themself; no client identifier). Episodes: the focus episodes whose window
--   overlaps the period (cut at the as-of date). Relapse days: distinct (client, event_date)
--   of relapse events dated inside one of those windows (any date in the window); the client
--   qualifies when one of them is dated in the period. Sessions: the client's treatment
--   sessions (not workshops) with status attended or no_show that belong to one of those
--   episodes, any date (cancelled and excused count in neither). A session dated 1 ..
--   warning_days days before any of the client's relapse days is "before"; one on a relapse
--   day counts in neither (a positive screen is itself a session); the rest are "other".
--   before_rate = before_attended / (before_attended + before_no_show), other_rate likewise,
--   each null with no such sessions (the page pairs only clients with both).
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar, warning_days integer
-- columns: before_attended, before_no_show, other_attended, other_no_show, before_rate, other_rate

with

period as (
    select * from reporting_period($start_date, $end_date)
),

episodes as (
    select e.episode_id, e.client_id, e.admit_date, e.window_end
    from focus_episodes($focus, $program, $site) as e
    inner join period as p on e.admit_date <= p.period_end and e.window_end >= p.period_start
),

relapse_days as (
    select distinct r.client_id, r.event_date
    from relapses as r
    inner join episodes as e
        on r.client_id = e.client_id and r.event_date between e.admit_date and e.window_end
),

relapsing_clients as (
    select distinct d.client_id
    from relapse_days as d
    inner join period as p on d.event_date between p.period_start and p.period_end
),

scheduled as (
    select s.line, e.client_id, s.session_date, s.status
    from sessions as s
    inner join episodes as e on s.episode_id = e.episode_id
    where
        s.is_treatment
        and s.status in ('attended', 'no_show')
        and e.client_id in (select client_id from relapsing_clients)
),

before_relapse as (
    select distinct s.line
    from scheduled as s
    inner join relapse_days as d
        on
            s.client_id = d.client_id
            and s.session_date between d.event_date - $warning_days and d.event_date - 1
),

on_relapse_day as (
    select distinct s.line
    from scheduled as s
    inner join relapse_days as d on s.client_id = d.client_id and s.session_date = d.event_date
),

placed as (
    -- 'before', 'other', or null for a session on a relapse day (counted in neither)
    select
        s.*,
        case
            when o.line is not null then null
            when b.line is not null then 'before'
            else 'other'
        end as placed_in
    from scheduled as s
    left join before_relapse as b on s.line = b.line
    left join on_relapse_day as o on s.line = o.line
),

per_client as (
    select
        c.client_id,
        count(p.line) filter (where p.placed_in = 'before' and p.status = 'attended') as before_attended,
        count(p.line) filter (where p.placed_in = 'before' and p.status = 'no_show') as before_no_show,
        count(p.line) filter (where p.placed_in = 'other' and p.status = 'attended') as other_attended,
        count(p.line) filter (where p.placed_in = 'other' and p.status = 'no_show') as other_no_show
    from relapsing_clients as c
    left join placed as p on c.client_id = p.client_id
    group by c.client_id
),

final as (
    select
        before_attended,
        before_no_show,
        other_attended,
        other_no_show,
        before_attended / nullif(before_attended + before_no_show, 0) as before_rate,
        other_attended / nullif(other_attended + other_no_show, 0) as other_rate
    from per_client
)

select * from final
order by before_rate nulls last, other_rate nulls last, before_attended, before_no_show, other_attended, other_no_show
