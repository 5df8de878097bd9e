-- name: admissions
-- title: Admissions: focus episodes admitted in the period
-- description: The number of focus episodes (focus levels, program and site filters) whose
--   admit_date falls in the period (start .. end, both included, cut at the as-of date). Each
--   focus episode is one admission, so a return to a focus level inside a stay counts again.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: admissions

with

admitted as (
    select episode_id from focus_admissions($start_date, $end_date, $focus, $program, $site)
),

final as (
    select count(*) as admissions from admitted
)

select * from final
