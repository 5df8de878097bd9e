-- name: episode_windows
-- title: Episodes as known on the as-of date, with their windows and stays
-- description: One row per episode admitted on or before the as-of date. A discharge dated
--   after the as-of date is not known yet, so that episode counts as open (no discharge date,
--   no reason). window_end is the discharge date, or the as-of date while open. level_code is
--   the level without its -WM suffix (3.7-WM -> 3.7) and level_num its number, which orders
--   levels. Stays chain one client's episodes in admit order: an episode joins the current stay
--   when it is admitted at most 14 days after the latest discharge so far (an overlap joins
--   too, and an open episode keeps the stay open so every later episode joins); otherwise it
--   starts a new stay. stay_seq numbers the episodes of a stay from 1.
-- params: as_of date
-- columns: episode_id, client_id, level_of_care, level_code, level_num, program, site, admit_date, discharge_date, discharge_reason, window_end, is_open, los_days, stay_id, stay_seq
-- materialize: table

with

known_episodes as (
    select * from episodes where admit_date <= $as_of
),

as_known as (
    select
        episode_id,
        client_id,
        level_of_care,
        split_part(level_of_care, '-', 1) as level_code,
        cast(split_part(level_of_care, '-', 1) as double) as level_num,
        program,
        site,
        admit_date,
        if(discharge_date <= $as_of, discharge_date, null) as discharge_date,
        if(discharge_date <= $as_of, discharge_reason, null) as discharge_reason
    from known_episodes
),

windows as (
    select
        *,
        coalesce(discharge_date, cast($as_of as date)) as window_end,
        discharge_date is null as is_open,
        discharge_date - admit_date as los_days
    from as_known
),

chained as (
    -- what the client's earlier episodes (in admit order) say about the stay so far
    select
        *,
        bool_or(is_open) over earlier as earlier_open,
        max(discharge_date) over earlier as earlier_latest_discharge
    from windows
    window earlier as (
        partition by client_id order by admit_date, episode_id
        rows between unbounded preceding and 1 preceding
    )
),

stay_starts as (
    select
        *,
        case
            when earlier_open is null then true                      -- the client's first episode
            when earlier_open then false                             -- the stay is still open
            when admit_date - earlier_latest_discharge <= 14 then false
            else true
        end as starts_stay
    from chained
),

numbered as (
    select
        *,
        sum(cast(starts_stay as integer)) over (
            partition by client_id order by admit_date, episode_id rows unbounded preceding
        ) as client_stay_number
    from stay_starts
),

final as (
    select
        episode_id,
        client_id,
        level_of_care,
        level_code,
        level_num,
        program,
        site,
        admit_date,
        discharge_date,
        discharge_reason,
        window_end,
        is_open,
        los_days,
        dense_rank() over (order by client_id, client_stay_number) as stay_id,
        row_number() over (
            partition by client_id, client_stay_number order by admit_date, episode_id
        ) as stay_seq
    from numbered
)

select * from final
