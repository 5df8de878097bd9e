-- name: belonging
-- title: Which episode each dated row belongs to (SPEC section 3, "belongs to")
-- description: A table macro: belonging(source_name) returns the dated_rows of that source
--   ('attendance', 'assessments' or 'relapse_events') with the episode each belongs to. A row
--   belongs to the episode its episode_id names when that episode is known on the as-of date
--   and is the same client's, whatever the row's date (outside_named_window marks a date
--   outside that episode's window); otherwise to the client's episode whose window contains
--   the row's date, and when several do, the latest admit_date, then the latest window end,
--   then the greatest episode_id. matched_by says which rule applied ('episode_id' or 'date');
--   rows that belong to no episode have a null episode_id and are kept.
-- params:
-- columns: (the columns of dated_rows), episode_id, matched_by, outside_named_window
-- materialize: macro

create or replace macro belonging(source_name) as table
    with

    rows_ as not materialized (
        select * from dated_rows where source = source_name
    ),

    date_matches as (
        -- rows whose episode_id names no known episode of theirs: the latest-admitted episode
        -- whose window holds the date (then the latest window end, then the greatest id)
        select
            r.line,
            arg_max(e.episode_id, (e.admit_date, e.window_end, e.episode_id)) as date_match
        from rows_ as r
        inner join episode_windows as e
            on r.client_id = e.client_id and r.row_date between e.admit_date and e.window_end
        where
            not exists (
                select 1 from episode_windows as named
                where named.episode_id = r.named_episode_id and named.client_id = r.client_id
            )
        group by r.line
    ),

    final as (
        select
            r.*,
            coalesce(named.episode_id, d.date_match) as episode_id,
            case
                when named.episode_id is not null then 'episode_id'
                when d.date_match is not null then 'date'
            end as matched_by,
            coalesce(r.row_date not between named.admit_date and named.window_end, false)
                as outside_named_window
        from rows_ as r
        left join episode_windows as named
            on r.named_episode_id = named.episode_id and r.client_id = named.client_id
        left join date_matches as d on r.line = d.line
    )

    select * from final;
