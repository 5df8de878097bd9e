-- name: returns_to_care
-- title: Returns to care after a stay ended, by how it ended
-- description: One row per end reason and N (90 and 180 days), plus 'all stays' for each N.
--   Stays (a client's chained episodes; a gap of more than 14 days starts a new stay) are
--   placed in the period by their end date (the latest discharge, once every episode is
--   discharged, as known on the as-of date); with a program or site filter, stays that have at
--   least one episode of that program or site. ended counts them. Eligible: end date + N on or
--   before the as-of date. Returned: the same client started a new stay (any level, program
--   or site) 1..N days after the end date (by the stay rule it starts 15 days or more after).
--   rate = returned / eligible, null when none are eligible.
-- params: start_date date, end_date date, program varchar, site varchar
-- columns: end_reason, days, ended, eligible, returned, rate

with

period as (
    select * from reporting_period($start_date, $end_date)
),

ended_stays as (
    select s.stay_id, s.client_id, s.end_date, s.end_reason, p.as_of
    from stays as s
    inner join period as p on s.end_date between p.period_start and p.period_end
    where s.stay_id in (select stay_id from scoped_episodes($program, $site))
),

horizons as (
    select unnest([90, 180]) as days
),

next_stay as (
    select e.stay_id, min(later.start_date) as next_start
    from ended_stays as e
    inner join stays as later on e.client_id = later.client_id and later.start_date > e.end_date
    group by e.stay_id
),

outcomes as (
    select
        e.end_reason,
        h.days,
        e.end_date + h.days <= e.as_of as eligible,
        n.next_start is not null and n.next_start <= e.end_date + h.days as returned
    from ended_stays as e
    cross join horizons as h
    left join next_stay as n on e.stay_id = n.stay_id
),

final as (
    select
        coalesce(end_reason, 'all stays') as end_reason,
        days,
        count(*) as ended,
        count(*) filter (where eligible) as eligible,
        count(*) filter (where eligible and returned) as returned,
        count(*) filter (where eligible and returned) / nullif(count(*) filter (where eligible), 0) as rate
    from outcomes
    group by grouping sets ((end_reason, days), (days))
    order by
        days,
        end_reason is null,
        list_position(
            ['completed', 'transferred', 'dropped_out', 'terminated', 'incarcerated', 'deceased', 'other'],
            end_reason
        )
)

select * from final
