-- name: row_episodes
-- title: Which episode each session, assessment and relapse event belongs to
-- description: One row per session (session_rows), assessment and relapse event dated on or
--   before the as-of date. A row belongs to the episode its episode_id names when that episode
--   is known on the as-of date and is the same client's, whatever the row's date
--   (outside_named_window marks a date outside that episode's window); otherwise to the
--   client's episode whose window contains the row's date, and when several do, the latest
--   admit_date, then the latest window end, then the greatest episode_id. matched_by says which
--   rule applied ('episode_id' or 'date'); rows that belong to no episode have a null
--   episode_id and are kept (the Data page counts them).
-- params: as_of date
-- columns: source, line, client_id, row_date, named_episode_id, episode_id, matched_by, outside_named_window
-- materialize: table

with

dated_rows as (
    select 'attendance' as source, line, client_id, session_date as row_date, episode_id as named_episode_id
    from session_rows
    union all
    select 'assessments', line, client_id, assessment_date, episode_id
    from assessments
    where assessment_date <= $as_of
    union all
    select 'relapse_events', line, client_id, event_date, episode_id
    from relapse_events
    where event_date <= $as_of
),

by_name as (
    select
        r.*,
        e.episode_id as named_match,
        r.row_date not between e.admit_date and e.window_end as outside_named_window
    from dated_rows as r
    left join episode_windows as e
        on r.named_episode_id = e.episode_id and r.client_id = e.client_id
),

by_date as (
    select
        r.source,
        r.line,
        e.episode_id as date_match
    from by_name as r
    inner join episode_windows as e
        on r.client_id = e.client_id and r.row_date between e.admit_date and e.window_end
    where r.named_match is null
    qualify row_number() over (
        partition by r.source, r.line
        order by e.admit_date desc, e.window_end desc, e.episode_id desc
    ) = 1
),

final as (
    select
        n.source,
        n.line,
        n.client_id,
        n.row_date,
        n.named_episode_id,
        coalesce(n.named_match, d.date_match) as episode_id,
        case
            when n.named_match is not null then 'episode_id'
            when d.date_match is not null then 'date'
        end as matched_by,
        coalesce(n.outside_named_window, false) as outside_named_window
    from by_name as n
    left join by_date as d on n.source = d.source and n.line = d.line
)

select * from final
