-- name: retention_rate
-- title: Retention: share of admissions still in care N days after admission
-- description: One row per requested N (days). Eligible: focus admissions in the period with
--   admit_date + N on or before the as-of date, leaving out those whose stay ended with reason
--   transferred before admit_date + N (they continued care elsewhere). Retained: an attended
--   treatment session (not a workshop) that belongs to an episode of the admission's stay and
--   is dated on or after admit_date + N, or a stay that ended with reason completed.
--   rate = retained / eligible, null when none are eligible.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar, days integer[]
-- columns: days, retained, eligible, rate

with

period as (
    select * from reporting_period($start_date, $end_date)
),

episodes as (
    select * from focus_episodes($focus, $program, $site)
),

horizons as (
    select distinct unnest(cast($days as integer[])) as days
),

admitted as (
    select e.episode_id, e.stay_id, e.admit_date, p.as_of
    from episodes as e
    inner join period as p on e.admit_date between p.period_start and p.period_end
),

eligible as (
    select a.*, h.days, s.is_ended, s.end_reason
    from admitted as a
    cross join horizons as h
    inner join stays as s on a.stay_id = s.stay_id
    where
        a.admit_date + h.days <= a.as_of
        and not (s.is_ended and s.end_reason = 'transferred' and s.end_date < a.admit_date + h.days)
),

seen_late as (
    select distinct e.episode_id, e.days
    from eligible as e
    inner join sessions as s
        on e.stay_id = s.stay_id and s.session_date >= e.admit_date + e.days
    where s.is_treatment and s.status = 'attended'
),

outcomes as (
    select
        e.days,
        l.episode_id is not null or (e.is_ended and e.end_reason = 'completed') as retained
    from eligible as e
    left join seen_late as l on e.episode_id = l.episode_id and e.days = l.days
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
