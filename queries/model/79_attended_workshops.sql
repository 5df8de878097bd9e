-- name: attended_workshops
-- title: Attended workshop sessions within the program and site filters
-- description: A table macro: attended_workshops(program_name, site_name) returns the
--   workshop sessions (see workshop_sessions) a client attended; with a program or site, only
--   those that belong to an episode of that program or site (null: no filter). Queries add
--   their own period.
-- params:
-- columns: (the columns of workshop_sessions)
-- materialize: macro

-- sqlfluff reads the macro's parameters as unqualified columns:
-- noqa: disable=RF02
create or replace macro attended_workshops(program_name, site_name) as table
    select *
    from workshop_sessions
    where
        status = 'attended'
        and (cast(program_name as varchar) is null or program = program_name)
        and (cast(site_name as varchar) is null or site = site_name);
