-- name: step_up_precursors
-- title: Step-ups by discharge month, and whether a relapse came before them
-- description: One row per discharge month: the step-up rate of SPEC section 4 (the kpis tile
--   step_up_rate) split by the calendar month of the discharge; summed over the months it gives
--   the tile. Eligible: focus episodes (program and site filters apply) discharged in the
--   period, whatever the reason, with discharge_date + 14 on or before the as-of date. Stepped
--   up: the same client has an episode at a higher level admitted 0..14 days after that
--   discharge. after_relapse counts the step-ups with a relapse event of the client (any type,
--   matched by date whatever its episode) dated in the 14 days up to the first such
--   higher-level admission (its admit_date - 14 .. admit_date); without_relapse the others.
--   rate = stepped_up / eligible, null when none are eligible.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: month, eligible, stepped_up, after_relapse, without_relapse, rate

with

eligible as (
    select *, cast(date_trunc('month', discharge_date) as date) as month
    from step_up_outcomes($start_date, $end_date, $focus, $program, $site)
    where discharge_date + 14 <= as_of
),

step_ups as (
    -- the first higher-level admission 0..14 days after the discharge
    select episode_id, client_id, step_up_date from eligible where gap_days <= 14
),

preceded as (
    select distinct u.episode_id
    from step_ups as u
    inner join relapses as r
        on u.client_id = r.client_id and r.event_date between u.step_up_date - 14 and u.step_up_date
),

final as (
    select
        e.month,
        count(*) as eligible,
        count(u.episode_id) as stepped_up,
        count(r.episode_id) as after_relapse,
        count(u.episode_id) - count(r.episode_id) as without_relapse,
        count(u.episode_id) / count(*) as rate
    from eligible as e
    left join step_ups as u on e.episode_id = u.episode_id
    left join preceded as r on e.episode_id = r.episode_id
    group by e.month
    order by e.month
)

select * from final
