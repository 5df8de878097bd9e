-- name: family_retention
-- title: 60-day retention of clients who brought a loved one in their first 30 days, and of those who did not
-- description: Cohort: focus admissions in the period (admit_date in the period, cut at the
--   as-of date) with admit_date + retention_days on or before the as-of date, leaving out those
--   whose stay ended with reason transferred before admit_date + retention_days (the
--   retention_60d rule). Brought family: the client attended a workshop with guests >= 1 dated
--   admit_date .. admit_date + early_days (the client's workshops matched by date, whatever
--   episode they belong to). Retained (the retention_rate rule): an attended treatment session
--   (not a workshop) that belongs to an episode of the admission's stay dated on or after
--   admit_date + retention_days, or a stay that ended with reason completed. One row per
--   group (both always present): retained, eligible, rate (null when none are eligible). An
--   association, not an effect: clients who stay engaged are also the ones who bring family.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar, retention_days integer, early_days integer
-- columns: brought_family, retained, eligible, rate

with

period as (
    select * from reporting_period($start_date, $end_date)
),

admitted as (
    select e.episode_id, e.client_id, e.stay_id, e.admit_date, p.as_of
    from focus_episodes($focus, $program, $site) as e
    inner join period as p on e.admit_date between p.period_start and p.period_end
),

eligible as (
    select a.*, s.is_ended, s.end_reason
    from admitted as a
    inner join stays as s on a.stay_id = s.stay_id
    where
        a.admit_date + $retention_days <= a.as_of
        and not (
            s.is_ended and s.end_reason = 'transferred' and s.end_date < a.admit_date + $retention_days
        )
),

with_family as (
    select distinct e.episode_id
    from eligible as e
    inner join sessions as s
        on
            e.client_id = s.client_id
            and s.session_date between e.admit_date and e.admit_date + $early_days
    where s.session_type = 'workshop' and s.status = 'attended' and s.guests >= 1
),

seen_late as (
    select distinct e.episode_id
    from eligible as e
    inner join sessions as s
        on e.stay_id = s.stay_id and s.session_date >= e.admit_date + $retention_days
    where s.is_treatment and s.status = 'attended'
),

outcomes as (
    select
        f.episode_id is not null as brought_family,
        l.episode_id is not null or (e.is_ended and e.end_reason = 'completed') as retained
    from eligible as e
    left join with_family as f on e.episode_id = f.episode_id
    left join seen_late as l on e.episode_id = l.episode_id
),

groups_ as (
    select unnest([true, false]) as brought_family
),

final as (
    select
        g.brought_family,
        count(o.retained) filter (where o.retained) as retained,
        count(o.retained) as eligible,
        count(o.retained) filter (where o.retained) / nullif(count(o.retained), 0) as rate
    from groups_ as g
    left join outcomes as o on g.brought_family = o.brought_family
    group by g.brought_family
)

select * from final order by brought_family desc
