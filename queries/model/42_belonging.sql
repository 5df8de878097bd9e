-- name: belonging
-- title: Which episode each dated row belongs to (SPEC section 3, "belongs to")
-- description: A table macro: belonging(source_name) returns the dated_rows of that source
--   ('attendance', 'assessments' or 'relapse_events') with the episode each belongs to and
--   that episode's stay. A row belongs to the episode its episode_id names when that episode
--   is known on the as-of date and is the same client's, whatever the row's date
--   (outside_named_window marks a date outside that episode's window); otherwise to the
--   client's episode whose window contains the row's date, and when several do, the latest
--   admit_date, then the latest window end, then the greatest episode_id. matched_by says
--   which rule applied ('episode_id' or 'date'); rows that belong to no episode have a null
--   episode_id and are kept. The two kinds of row are found apart (named rows in one join,
--   the few others by date), so ten million sessions take two passes, not four.
-- params:
-- columns: (the columns of dated_rows), episode_id, matched_by, outside_named_window, stay_id
-- materialize: macro

create or replace macro belonging(source_name) as table
    with

    rows_ as not materialized (
        select * from dated_rows where source = source_name
    ),

    windows as (
        select episode_id, client_id, admit_date, window_end, stay_id from episode_windows
    ),

    named_rows as (
        -- rows whose episode_id names a known episode of the same client
        select
            r.*,
            n.episode_id,
            'episode_id' as matched_by,
            coalesce(r.row_date not between n.admit_date and n.window_end, false)
                as outside_named_window,
            n.stay_id
        from rows_ as r
        inner join windows as n on r.named_episode_id = n.episode_id and r.client_id = n.client_id
    ),

    other_rows as materialized (
        -- rows without an episode_id, or naming an episode that is unknown or another client's
        select r.*
        from rows_ as r
        where
            not exists (
                select 1 from windows as n
                where n.episode_id = r.named_episode_id and n.client_id = r.client_id
            )
    ),

    date_matches as (
        -- the latest-admitted episode whose window holds the date (then the latest window
        -- end, then the greatest id)
        select
            r.line,
            arg_max(e.episode_id, (e.admit_date, e.window_end, e.episode_id)) as episode_id,
            arg_max(e.stay_id, (e.admit_date, e.window_end, e.episode_id)) as stay_id
        from other_rows as r
        inner join windows as e
            on r.client_id = e.client_id and r.row_date between e.admit_date and e.window_end
        group by r.line
    ),

    dated_rows_ as (
        select
            r.*,
            d.episode_id,
            case when d.episode_id is not null then 'date' end as matched_by,
            false as outside_named_window,
            d.stay_id
        from other_rows as r
        left join date_matches as d on r.line = d.line
    ),

    final as (
        select * from named_rows
        union all
        select * from dated_rows_
    )

    select * from final;
