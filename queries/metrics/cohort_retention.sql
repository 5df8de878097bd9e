-- name: cohort_retention
-- title: Cohort heat-map: share of each admission month still attending N weeks later
-- description: One row per admission month (cohort) and week since admission (0 .. weeks - 1).
--   Cohorts are the focus admissions (focus episodes admitted in the period; program and site
--   filters apply) grouped by the calendar month of their admit_date; cohort_size counts them.
--   Week w covers days 7w .. 7w + 6 after the admit_date. retained counts the admissions with
--   an attended treatment session (any type but workshop) that belongs to an episode of their
--   stay and is dated on or after admit_date + 7w: still attending in week w or later. A cell is
--   measured only when every admission of the cohort has lived through the whole week by the
--   as-of date (the cohort's latest admit_date + 7w + 6 on or before it); otherwise retained
--   and share are null (too young to tell, not zero). share = retained / cohort_size.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar, weeks integer
-- columns: cohort_month, week, cohort_size, measured, retained, share

with

admissions as (
    select
        episode_id,
        stay_id,
        admit_date,
        cast(date_trunc('month', admit_date) as date) as cohort_month,
        as_of
    from focus_admissions($start_date, $end_date, $focus, $program, $site)
),

last_attended as (
    select * from last_attended_after_admission($start_date, $end_date, $focus, $program, $site)
),

cohorts as (
    select cohort_month, count(*) as cohort_size, max(admit_date) as latest_admit, any_value(as_of) as as_of
    from admissions
    group by cohort_month
),

weeks as (
    select cast(unnest(range(0, cast($weeks as integer))) as integer) as week
),

cells as (
    select
        c.cohort_month,
        w.week,
        c.cohort_size,
        c.latest_admit + 7 * w.week + 6 <= c.as_of as measured
    from cohorts as c
    cross join weeks as w
),

attending as (
    select
        a.cohort_month,
        w.week,
        count(*) filter (where l.last_attended_date >= a.admit_date + 7 * w.week) as retained
    from admissions as a
    cross join weeks as w
    left join last_attended as l on a.episode_id = l.episode_id
    group by a.cohort_month, w.week
),

final as (
    select
        c.cohort_month,
        c.week,
        c.cohort_size,
        c.measured,
        if(c.measured, n.retained, null) as retained,
        if(c.measured, n.retained / c.cohort_size, null) as share
    from cells as c
    inner join attending as n on c.cohort_month = n.cohort_month and c.week = n.week
    order by c.cohort_month, c.week
)

select * from final
