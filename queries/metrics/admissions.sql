-- name: admissions
-- title: Admissions: focus episodes admitted in the period
-- description: The number of focus episodes (focus levels, program and site filters) whose
--   admit_date falls in the period (start .. end, both included, cut at the as-of date). Each
--   focus episode is one admission, so a return to a focus level inside a stay counts again.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: admissions

with

period as (
    select * from reporting_period($start_date, $end_date)
),

episodes as (
    select * from focus_episodes($focus, $program, $site)
),

admitted as (
    select e.episode_id
    from episodes as e
    inner join period as p on e.admit_date between p.period_start and p.period_end
),

final as (
    select count(*) as admissions from admitted
)

select * from final
