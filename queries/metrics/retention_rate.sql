-- name: retention_rate
-- title: Retention: share of admissions still in care N days after admission
-- description: One row per requested N (days). Eligible: focus admissions in the period with
--   admit_date + N on or before the as-of date, leaving out those whose stay ended with reason
--   transferred before admit_date + N (they continued care elsewhere). Retained: an attended
--   treatment session (not a workshop) that belongs to an episode of the admission's stay and
--   is dated on or after admit_date + N, or a stay that ended with reason completed.
--   rate = retained / eligible, null when none are eligible. (Per admission: the model macro
--   retention_outcomes.)
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar, days integer[]
-- columns: days, retained, eligible, rate

with

horizons as (
    select distinct unnest(cast($days as integer[])) as days
),

outcomes as (
    select * from retention_outcomes($start_date, $end_date, $focus, $program, $site, $days)
),

final as (
    select
        h.days,
        count(o.days) filter (where o.retained) as retained,
        count(o.days) as eligible,
        count(o.days) filter (where o.retained) / nullif(count(o.days), 0) as rate
    from horizons as h
    left join outcomes as o on h.days = o.days
    group by h.days
    order by h.days
)

select * from final
