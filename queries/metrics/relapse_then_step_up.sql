-- name: relapse_then_step_up
-- title: Relapses followed by a step-up to a higher level of care within 14 days
-- description: Relapse days as in relapse_rate: distinct (client, event_date) of relapse events
--   dated in the period (cut at the as-of date) and inside at least one of the client's focus
--   episode windows. The level at the relapse is the highest level of the focus episodes whose
--   window contains that day. Eligible: relapse days with event_date + step_up_days on or
--   before the as-of date (the follow-up is known); too_recent counts the others. Stepped up:
--   the same client has an episode (any program or site) at a higher level admitted 0 ..
--   step_up_days days after the relapse day (the relapse day counts). rate = stepped_up /
--   eligible, null when none are eligible.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar, step_up_days integer
-- columns: stepped_up, eligible, too_recent, rate

with

period as (
    select * from reporting_period($start_date, $end_date)
),

focus_windows as (
    -- each focus window, cut to the period
    select
        e.client_id,
        e.level_num,
        greatest(e.admit_date, p.period_start) as day_from,
        least(e.window_end, p.period_end) as day_to
    from focus_episodes($focus, $program, $site) as e
    inner join period as p on e.admit_date <= p.period_end and e.window_end >= p.period_start
),

relapse_days as (
    select r.client_id, r.event_date, max(w.level_num) as level_num
    from relapses as r
    inner join focus_windows as w
        on r.client_id = w.client_id and r.event_date between w.day_from and w.day_to
    group by r.client_id, r.event_date
),

eligible as (
    select d.*
    from relapse_days as d
    cross join period as p
    where d.event_date + $step_up_days <= p.as_of
),

stepped as (
    select distinct e.client_id, e.event_date
    from eligible as e
    inner join episode_windows as later
        on
            e.client_id = later.client_id
            and later.level_num > e.level_num
            and later.admit_date between e.event_date and e.event_date + $step_up_days
),

final as (
    select
        (select count(*) from stepped) as stepped_up,
        (select count(*) from eligible) as eligible,
        (select count(*) from relapse_days) - (select count(*) from eligible) as too_recent,
        (select count(*) from stepped) / nullif((select count(*) from eligible), 0) as rate
)

select * from final
