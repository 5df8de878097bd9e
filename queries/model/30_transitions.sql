-- name: transitions
-- title: Moves between consecutive episodes of a stay, with their direction
-- description: One row per pair of consecutive episodes (in admit order) inside one stay. A
--   lower next level is a step_down, a higher one a step_up, the same level "same" (levels
--   compare by number: 3.7-WM counts as 3.7). gap_days is the next admit_date minus this
--   episode's discharge_date (negative for an overlap, null while this episode is open).
-- params:
-- columns: stay_id, client_id, from_episode_id, to_episode_id, from_level, to_level, from_level_num, to_level_num, direction, from_discharge_date, from_discharge_reason, to_admit_date, gap_days, from_program, from_site
-- materialize: table

with

episodes as (
    select * from episode_windows
),

pairs as (
    select
        this.stay_id,
        this.client_id,
        this.episode_id as from_episode_id,
        next.episode_id as to_episode_id,
        this.level_of_care as from_level,
        next.level_of_care as to_level,
        this.level_num as from_level_num,
        next.level_num as to_level_num,
        this.discharge_date as from_discharge_date,
        this.discharge_reason as from_discharge_reason,
        next.admit_date as to_admit_date,
        this.program as from_program,
        this.site as from_site
    from episodes as this
    inner join episodes as next
        on this.stay_id = next.stay_id and next.stay_seq = this.stay_seq + 1
),

final as (
    select
        stay_id,
        client_id,
        from_episode_id,
        to_episode_id,
        from_level,
        to_level,
        from_level_num,
        to_level_num,
        case
            when to_level_num < from_level_num then 'step_down'
            when to_level_num > from_level_num then 'step_up'
            else 'same'
        end as direction,
        from_discharge_date,
        from_discharge_reason,
        to_admit_date,
        to_admit_date - from_discharge_date as gap_days,
        from_program,
        from_site
    from pairs
)

select * from final
