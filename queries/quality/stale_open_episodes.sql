-- name: stale_open_episodes
-- title: Open episodes with no attended session in the last 30 days
-- description: Episodes still open on the as-of date, admitted at least 30 days before it,
--   with no attended session belonging to them dated as-of - 30 .. as-of. last_attended is the
--   latest attended session of the episode (null if none). These are likely missed discharges
--   in the EHR, or clients lost to care.
-- params:
-- columns: client_id, episode_id, level_of_care, program, site, admit_date, last_attended, days_since

with

as_of as (
    select as_of from model_as_of
),

open_episodes as (
    select e.*
    from episode_windows as e, as_of as a
    where e.is_open and e.admit_date <= a.as_of - 30
),

last_attended as (
    select episode_id, max(session_date) as last_attended
    from sessions
    where status = 'attended'
    group by episode_id
),

final as (
    select
        o.client_id,
        o.episode_id,
        o.level_of_care,
        o.program,
        o.site,
        o.admit_date,
        l.last_attended,
        a.as_of - coalesce(l.last_attended, o.admit_date) as days_since
    from open_episodes as o
    cross join as_of as a
    left join last_attended as l on o.episode_id = l.episode_id
    where l.last_attended is null or l.last_attended < a.as_of - 30
)

select * from final order by days_since desc, episode_id
