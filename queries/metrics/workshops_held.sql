-- name: workshops_held
-- title: Family workshops held in the period
-- description: Distinct workshops among attended workshop sessions dated in the period, at any
--   level of care and whether or not the row belongs to an episode. With a program or site
--   filter, only sessions that belong to an episode of that program or site count. A workshop
--   is its session_id; rows without one are grouped by date and topic (case-insensitive,
--   spaces, hyphens and underscores alike). Also the attending clients and guests behind them.
-- params: start_date date, end_date date, program varchar, site varchar
-- columns: workshops_held, client_attendances, guests

with

period as (
    select * from reporting_period($start_date, $end_date)
),

attended_workshops as (
    select s.workshop_key, s.guests
    from attended_workshops($program, $site) as s
    inner join period as p on s.session_date between p.period_start and p.period_end
),

final as (
    select
        count(distinct workshop_key) as workshops_held,
        count(*) as client_attendances,
        coalesce(sum(guests), 0) as guests
    from attended_workshops
)

select * from final
