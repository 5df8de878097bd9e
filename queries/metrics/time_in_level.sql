-- name: time_in_level
-- title: Time in each level of care (length of episode)
-- description: One row per level of care (as exported, ordered by number) with an episode
--   discharged in the period. Episodes of any level (program and site filters apply to them)
--   whose discharge_date, as known on the as-of date, falls in the period; length = discharge_date
--   - admit_date in days. p10, p25, median, p75 and p90 are its percentiles (interpolated; the
--   median of an even count is the mean of the two middle values, as for median_los_days).
--   still_open counts the level's episodes open at the end of the period (admitted on or
--   before it), whose length is not known yet.
-- params: start_date date, end_date date, program varchar, site varchar
-- columns: level_of_care, level_num, discharges, p10, p25, median, p75, p90, still_open

with

period as (
    select * from reporting_period($start_date, $end_date)
),

episodes as (
    select * from scoped_episodes($program, $site)
),

discharged as (
    select e.level_of_care, e.level_num, e.los_days
    from episodes as e
    inner join period as p on e.discharge_date between p.period_start and p.period_end
),

lengths as (
    select
        level_of_care,
        any_value(level_num) as level_num,
        count(*) as discharges,
        quantile_cont(los_days, [0.1, 0.25, 0.5, 0.75, 0.9]) as q
    from discharged
    group by level_of_care
),

open_at_end as (
    select e.level_of_care, count(*) as still_open
    from episodes as e
    inner join period as p
        on
            not p.is_empty
            and e.admit_date <= p.period_end
            and (e.discharge_date is null or e.discharge_date > p.period_end)
    group by e.level_of_care
),

final as (
    select
        l.level_of_care,
        l.level_num,
        l.discharges,
        cast(l.q[1] as double) as p10,
        cast(l.q[2] as double) as p25,
        cast(l.q[3] as double) as median,
        cast(l.q[4] as double) as p75,
        cast(l.q[5] as double) as p90,
        coalesce(o.still_open, 0) as still_open
    from lengths as l
    left join open_at_end as o on l.level_of_care = o.level_of_care
    order by l.level_num desc, l.level_of_care
)

select * from final
