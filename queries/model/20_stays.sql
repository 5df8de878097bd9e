-- name: stays
-- title: Stays: a client's chained episodes, with how and when each ended
-- description: One row per stay (see episode_windows for the 14-day chain). A stay has ended
--   when all its episodes are discharged (as known on the as-of date); its end date and end
--   reason are those of its latest discharge (the latest-admitted episode on a tie, then the
--   greatest episode_id). Open stays have no end date or reason. first_level and last_level are
--   the levels of the first- and last-admitted episodes.
-- params:
-- columns: stay_id, client_id, start_date, end_date, end_reason, is_ended, episodes, first_episode_id, first_level, last_level, last_window_end
-- materialize: table

with

episodes_of_stays as (
    select * from episode_windows
),

final as (
    select
        stay_id,
        any_value(client_id) as client_id,
        min(admit_date) as start_date,
        if(bool_and(not is_open), max(discharge_date), null) as end_date,
        if(
            bool_and(not is_open),
            arg_max(discharge_reason, (discharge_date, admit_date, episode_id)),
            null
        ) as end_reason,
        bool_and(not is_open) as is_ended,
        count(*) as episodes,
        arg_min(episode_id, (admit_date, episode_id)) as first_episode_id,
        arg_min(level_of_care, (admit_date, episode_id)) as first_level,
        arg_max(level_of_care, (admit_date, episode_id)) as last_level,
        max(window_end) as last_window_end
    from episodes_of_stays
    group by stay_id
)

select * from final
