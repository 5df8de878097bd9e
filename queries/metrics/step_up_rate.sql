-- name: step_up_rate
-- title: Step-up: focus discharges followed by a higher level within 14 days
-- description: Eligible: focus episodes discharged in the period, whatever the reason, with
--   discharge_date + 14 on or before the as-of date. Stepped up: the same client has any
--   episode at a higher level admitted 0..14 days after that discharge. rate = stepped_up /
--   eligible, null when none are eligible.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: stepped_up, eligible, rate

with

period as (
    select * from reporting_period($start_date, $end_date)
),

eligible as (
    select e.episode_id, e.client_id, e.level_num, e.discharge_date
    from focus_episodes($focus, $program, $site) as e
    inner join period as p
        on e.discharge_date between p.period_start and p.period_end and e.discharge_date + 14 <= p.as_of
),

stepped as (
    select distinct e.episode_id
    from eligible as e
    inner join episode_windows as later
        on
            e.client_id = later.client_id
            and later.level_num > e.level_num
            and later.admit_date between e.discharge_date and e.discharge_date + 14
),

final as (
    select
        count(s.episode_id) as stepped_up,
        count(*) as eligible,
        count(s.episode_id) / nullif(count(*), 0) as rate
    from eligible as e
    left join stepped as s on e.episode_id = s.episode_id
)

select * from final
