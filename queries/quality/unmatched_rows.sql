-- name: unmatched_rows
-- title: Rows that belong to no episode, or name an episode outside its window
-- description: Sessions, assessments and relapse events (dated up to the as-of date) whose
--   date falls in none of the client's episode windows and whose episode_id names no episode
--   of that client (problem 'no episode'), or whose episode_id names an episode whose window
--   does not contain the row's date (problem 'outside named episode'; the row still belongs
--   to that episode). They are kept in the database; metrics that match by episode skip the
--   first kind.
-- params:
-- columns: source, problem, line, client_id, row_date, named_episode_id, episode_id

select
    source,
    case when episode_id is null then 'no episode' else 'outside named episode' end as problem,
    line,
    client_id,
    row_date,
    named_episode_id,
    episode_id
from row_episodes
where episode_id is null or outside_named_window
order by source, problem, line
