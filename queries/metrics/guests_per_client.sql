-- name: guests_per_client
-- title: Guests per attending client at the workshops (0, 1, 2, 3, more than 3)
-- description: Attended workshop rows dated in the period (cut at the as-of date), at any
--   level of care and whether or not the row belongs to an episode; with a program or site
--   filter only rows that belong to an episode of that program or site (as workshops_held).
--   One row per number of guests the client brought: 0 .. guest_limit, then one row for more
--   than guest_limit (over_limit: a break of the program rule, flagged, never rejected), and
--   'not recorded' for rows with an empty guests value (only when there are any). The rows
--   0 .. guest_limit are always there (0 attendances when none).
-- params: start_date date, end_date date, program varchar, site varchar, guest_limit integer
-- columns: guests, sort_order, over_limit, attendances

with

period as (
    select * from reporting_period($start_date, $end_date)
),

attended_rows as (
    select s.guests
    from attended_workshops($program, $site) as s
    inner join period as p on s.session_date between p.period_start and p.period_end
),

buckets as (
    select cast(t.n as varchar) as guests, cast(t.n as integer) as sort_order, false as over_limit
    from range(0, $guest_limit + 1) as t (n)
    union all
    select 'more than ' || $guest_limit, $guest_limit + 1, true
    union all
    select 'not recorded', $guest_limit + 2, false
),

bucketed as (
    select
        case
            when guests is null then $guest_limit + 2
            when guests > $guest_limit then $guest_limit + 1
            else guests
        end as sort_order
    from attended_rows
),

final as (
    select b.guests, b.sort_order, b.over_limit, count(x.sort_order) as attendances
    from buckets as b
    left join bucketed as x on b.sort_order = x.sort_order
    group by all
    having b.sort_order <= $guest_limit + 1 or count(x.sort_order) > 0
)

select * from final order by sort_order
