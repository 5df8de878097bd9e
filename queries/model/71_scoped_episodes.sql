-- name: scoped_episodes
-- title: Episodes kept by the program and site filters
-- description: A table macro over episode_windows: every episode when program_name and
--   site_name are null, else those of that program and/or site. The filters keep the episodes
--   a metric counts; stays, later-episode look-ups and belonging still use all episodes.
-- params:
-- columns: (the columns of episode_windows)
-- materialize: macro

create or replace macro scoped_episodes(program_name, site_name) as table
    select *
    from episode_windows
    where
        (program_name is null or program = program_name)
        and (site_name is null or site = site_name);
