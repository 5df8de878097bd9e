-- name: care_spans
-- title: The days each client was in care in the period, overlaps merged
-- description: A table macro: care_spans(start_date, end_date, levels, program_name,
--   site_name, by_level) returns, per client (and per level_code when by_level is true, else
--   level_code is null), the spans of days in the period (cut at the as-of date) that lie in
--   at least one window of the client's episodes at those levels (levels: a list of level
--   codes such as the focus list, or null for every level; the program and site filters apply
--   to the episodes). Overlapping windows merge into one span, so a day is counted once:
--   client-days = the sum of day_to - day_from + 1. Used for relapse days per 1,000
--   client-days.
-- params:
-- columns: client_id, level_code, day_from, day_to
-- materialize: macro

-- sqlfluff reads the macro's parameters as unqualified columns:
-- noqa: disable=RF02
create or replace macro care_spans(start_date, end_date, levels, program_name, site_name, by_level) as table
    with

    windows as (
        -- each episode window, cut to the period
        select
            e.client_id,
            if(by_level, e.level_code, null) as level_code,
            greatest(e.admit_date, p.period_start) as day_from,
            least(e.window_end, p.period_end) as day_to
        from scoped_episodes(program_name, site_name) as e
        inner join reporting_period(start_date, end_date) as p
            on e.admit_date <= p.period_end and e.window_end >= p.period_start
        where levels is null or list_contains(levels, e.level_code)
    ),

    ordered as (
        select
            *,
            max(day_to) over (
                partition by client_id, level_code order by day_from, day_to
                rows between unbounded preceding and 1 preceding
            ) as earlier_day_to
        from windows
    ),

    islands as (
        select
            *,
            sum(case when earlier_day_to is null or day_from > earlier_day_to then 1 else 0 end) over (
                partition by client_id, level_code order by day_from, day_to rows unbounded preceding
            ) as island
        from ordered
    ),

    final as (
        select client_id, level_code, min(day_from) as day_from, max(day_to) as day_to
        from islands
        group by client_id, level_code, island
    )

    select * from final;
