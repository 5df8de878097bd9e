-- name: level_waits
-- title: Waits between levels of care
-- description: One row per (from level, to level) pair with a move in the period. Moves are
--   consecutive episodes of one stay (the model's transitions) placed in the period by the
--   next episode's admit_date; with a program or site filter, moves out of an episode of that
--   program or site. Only moves out of a discharged episode have a wait: wait = the next
--   admit_date - the discharge_date, 0 for an overlap (the next level began before the
--   discharge; counted in overlapping). Moves out of an episode still open on the as-of date are
--   left out. A wait is at most 14 days by the stay rule (longer is a new stay). median, p25
--   and p75 of the wait in days, interpolated.
-- params: start_date date, end_date date, program varchar, site varchar
-- columns: from_level, to_level, direction, moves, same_day, overlapping, median_wait, p25_wait, p75_wait, max_wait

with

period as (
    select * from reporting_period($start_date, $end_date)
),

moves_in_period as (
    select t.*, greatest(t.gap_days, 0) as wait_days
    from transitions as t
    inner join period as p on t.to_admit_date between p.period_start and p.period_end
    where
        t.gap_days is not null
        and (cast($program as varchar) is null or t.from_program = $program)
        and (cast($site as varchar) is null or t.from_site = $site)
),

final as (
    select
        from_level,
        to_level,
        any_value(direction) as direction,
        count(*) as moves,
        count(*) filter (where gap_days = 0) as same_day,
        count(*) filter (where gap_days < 0) as overlapping,
        cast(quantile_cont(wait_days, 0.5) as double) as median_wait,
        cast(quantile_cont(wait_days, 0.25) as double) as p25_wait,
        cast(quantile_cont(wait_days, 0.75) as double) as p75_wait,
        max(wait_days) as max_wait
    from moves_in_period
    group by from_level, to_level
    order by max(from_level_num) desc, from_level, max(to_level_num) desc, to_level
)

select * from final
