-- name: step_down_rate
-- title: Step-down: residential discharges followed by a lower level within N days
-- description: One row per N (7 and 30 days). Eligible: episodes at level 3.0 or above (the
--   program and site filters apply to them) discharged in the period with reason completed or
--   transferred and discharge_date + N on or before the as-of date. Stepped down: the same
--   client has any episode (any program or site) at a lower level admitted 0..N days after that
--   discharge (the discharge day counts; the two need not share a stay). rate = stepped_down /
--   eligible, null when none are eligible.
-- params: start_date date, end_date date, program varchar, site varchar
-- columns: days, stepped_down, eligible, rate

with

period as (
    select * from reporting_period($start_date, $end_date)
),

high_level_discharges as (
    select e.episode_id, e.client_id, e.level_num, e.discharge_date, p.as_of
    from scoped_episodes($program, $site) as e
    inner join period as p on e.discharge_date between p.period_start and p.period_end
    where e.level_num >= 3.0 and e.discharge_reason in ('completed', 'transferred')
),

horizons as (
    select unnest([7, 30]) as days
),

eligible as (
    select d.*, h.days
    from high_level_discharges as d
    cross join horizons as h
    where d.discharge_date + h.days <= d.as_of
),

stepped as (
    select distinct e.episode_id, e.days
    from eligible as e
    inner join episode_windows as later
        on
            e.client_id = later.client_id
            and later.level_num < e.level_num
            and later.admit_date between e.discharge_date and e.discharge_date + e.days
),

final as (
    select
        h.days,
        count(e.episode_id) filter (where s.episode_id is not null) as stepped_down,
        count(e.episode_id) as eligible,
        count(e.episode_id) filter (where s.episode_id is not null) / nullif(count(e.episode_id), 0) as rate
    from horizons as h
    left join eligible as e on h.days = e.days
    left join stepped as s on e.episode_id = s.episode_id and e.days = s.days
    group by h.days
    order by h.days
)

select * from final
