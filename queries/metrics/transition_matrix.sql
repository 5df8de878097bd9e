-- name: transition_matrix
-- title: Moves between levels of care (transition matrix)
-- description: One row per (from level, to level) pair. A move is a pair of consecutive
--   episodes of one stay (see the model's transitions: the next episode started at most 14 days
--   after the latest discharge so far, or overlapping); it is placed in the period by the
--   next episode's admit_date. With a program or site filter, moves out of an episode of that
--   program or site. Levels are as exported (3.7-WM apart from 3.7) and ordered by number;
--   direction is step_down (to a lower level), step_up (higher) or same. from_total counts
--   all moves out of the from level in the period; row_share = moves / from_total.
-- params: start_date date, end_date date, program varchar, site varchar
-- columns: from_level, to_level, from_level_num, to_level_num, direction, moves, from_total, row_share

with

period as (
    select * from reporting_period($start_date, $end_date)
),

moves_in_period as (
    select t.*
    from transitions as t
    inner join period as p on t.to_admit_date between p.period_start and p.period_end
    where
        (cast($program as varchar) is null or t.from_program = $program)
        and (cast($site as varchar) is null or t.from_site = $site)
),

pairs as (
    select
        from_level,
        to_level,
        any_value(from_level_num) as from_level_num,
        any_value(to_level_num) as to_level_num,
        any_value(direction) as direction,
        count(*) as moves
    from moves_in_period
    group by from_level, to_level
),

final as (
    select
        *,
        sum(moves) over (partition by from_level) as from_total,
        moves / sum(moves) over (partition by from_level) as row_share
    from pairs
    order by from_level_num desc, from_level, to_level_num desc, to_level
)

select * from final
