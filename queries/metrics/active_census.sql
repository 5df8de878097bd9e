-- name: active_census
-- title: Active census at the close of the period
-- description: Focus episodes admitted on or before the period's last day (cut at the as-of
--   date) that have no discharge_date or one after that day: still open at its close. 0 when
--   the period starts after the as-of date.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: active_census_end

with

period as (
    select * from reporting_period($start_date, $end_date)
),

episodes as (
    select * from focus_episodes($focus, $program, $site)
),

open_at_end as (
    select e.episode_id
    from episodes as e
    inner join period as p
        on
            not p.is_empty
            and e.admit_date <= p.period_end
            and (e.discharge_date is null or e.discharge_date > p.period_end)
),

final as (
    select count(*) as active_census_end from open_at_end
)

select * from final
