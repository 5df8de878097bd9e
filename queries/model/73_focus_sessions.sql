-- name: focus_sessions
-- title: Focus sessions: sessions dated in the period that belong to a focus episode
-- description: A table macro: focus_sessions(start_date, end_date, focus, program_name,
--   site_name) returns the sessions (see sessions; any type, workshops too) dated in the
--   period (start .. end, cut at the as-of date) that belong to a focus episode (see
--   focus_episodes; the program and site filters apply to that episode), with the period's
--   bounds beside them. The show-rate tile (attendance_rate) and its breakdowns read it.
-- params:
-- columns: (the columns of sessions), period_start, period_end
-- materialize: macro

-- sqlfluff reads the macro's parameters as unqualified columns:
-- noqa: disable=RF02
create or replace macro focus_sessions(start_date, end_date, focus, program_name, site_name) as table
    select s.*, p.period_start, p.period_end
    from sessions as s
    inner join reporting_period(start_date, end_date) as p
        on s.session_date between p.period_start and p.period_end
    where s.episode_id in (select episode_id from focus_episodes(focus, program_name, site_name));
