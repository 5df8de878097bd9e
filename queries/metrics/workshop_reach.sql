-- name: workshop_reach
-- title: Workshop and family reach of focus episodes
-- description: Eligible: focus episodes whose window overlaps the period and spans at least 14
--   days counting both ends (window_end - admit_date >= 13). Reached: the client attended a
--   workshop session dated inside that window (also outside the period), whatever episode it
--   belongs to. Family reached: the same, at a workshop where the client brought at least one
--   guest. Rates are over eligible episodes, null when none.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: reached, family_reached, eligible, reach_rate, family_reach_rate

with

period as (
    select * from reporting_period($start_date, $end_date)
),

eligible as (
    select e.episode_id, e.client_id, e.admit_date, e.window_end
    from focus_episodes($focus, $program, $site) as e
    inner join period as p on e.admit_date <= p.period_end and e.window_end >= p.period_start
    where e.window_end - e.admit_date >= 13
),

workshop_visits as (
    select client_id, session_date, coalesce(guests, 0) >= 1 as with_family
    from workshop_sessions
    where status = 'attended'
),

reach as (
    select
        e.episode_id,
        bool_or(true) as reached,
        bool_or(v.with_family) as family_reached
    from eligible as e
    inner join workshop_visits as v
        on e.client_id = v.client_id and v.session_date between e.admit_date and e.window_end
    group by e.episode_id
),

final as (
    select
        count(*) filter (where r.reached) as reached,
        count(*) filter (where r.family_reached) as family_reached,
        count(*) as eligible,
        count(*) filter (where r.reached) / nullif(count(*), 0) as reach_rate,
        count(*) filter (where r.family_reached) / nullif(count(*), 0) as family_reach_rate
    from eligible as e
    left join reach as r on e.episode_id = r.episode_id
)

select * from final
