-- name: focus_episodes
-- title: Focus episodes: episodes at a focus level, within the program and site filters
-- description: A table macro. An episode is at a focus level when its level without any -WM
--   suffix (level_code) is one of the focus list (e.g. ['2.1'] or ['2.1', '2.5']). Each focus
--   episode is one admission.
-- params:
-- columns: (the columns of episode_windows)
-- materialize: macro

create or replace macro focus_episodes(focus, program_name, site_name) as table
    select *
    from scoped_episodes(program_name, site_name)
    where list_contains(focus, level_code);
