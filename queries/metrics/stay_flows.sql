-- name: stay_flows
-- title: Pathways of the stays that started in the period
-- description: One row per pathway: the levels of care of a stay's episodes in admit order
--   (level_1 .. level_4, as exported, e.g. 3.7-WM; null when the stay has fewer episodes) and
--   how the stay ended (its end reason: the reason of its latest discharge, or 'still in
--   care' while an episode is open on the as-of date). Stays are placed in the period by their
--   start (the first admit_date); with a program or site filter, stays that have at least one
--   episode of that program or site. more_levels is true for stays with more than four
--   episodes (only their first four levels are named). stays counts the stays that took the
--   pathway.
-- params: start_date date, end_date date, program varchar, site varchar
-- columns: level_1, level_2, level_3, level_4, more_levels, outcome, stays

with

period as (
    select * from reporting_period($start_date, $end_date)
),

stays_started as (
    select s.stay_id, s.episodes, if(s.is_ended, s.end_reason, 'still in care') as outcome
    from stays as s
    inner join period as p on s.start_date between p.period_start and p.period_end
    where s.stay_id in (select stay_id from scoped_episodes($program, $site))
),

steps as (
    select
        e.stay_id,
        max(e.level_of_care) filter (where e.stay_seq = 1) as level_1,
        max(e.level_of_care) filter (where e.stay_seq = 2) as level_2,
        max(e.level_of_care) filter (where e.stay_seq = 3) as level_3,
        max(e.level_of_care) filter (where e.stay_seq = 4) as level_4
    from episode_windows as e
    where e.stay_id in (select stay_id from stays_started)
    group by e.stay_id
),

pathways as (
    select
        t.level_1,
        t.level_2,
        t.level_3,
        t.level_4,
        s.episodes > 4 as more_levels,
        s.outcome,
        count(*) as stays
    from stays_started as s
    inner join steps as t on s.stay_id = t.stay_id
    group by all
),

final as (
    select * from pathways
    order by stays desc, level_1, level_2, level_3, level_4, outcome
)

select * from final
