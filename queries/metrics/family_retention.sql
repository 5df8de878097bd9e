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

eligible as (
    select *
    from retention_outcomes($start_date, $end_date, $focus, $program, $site, [$retention_days])
),

with_family as (
    select distinct e.episode_id
    from eligible as e
    inner join workshop_sessions as s
        on
            e.client_id = s.client_id
            and s.session_date between e.admit_date and e.admit_date + $early_days
    where s.status = 'attended' and s.guests >= 1
),

outcomes as (
    select f.episode_id is not null as brought_family, e.retained
    from eligible as e
    left join with_family as f on e.episode_id = f.episode_id
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
