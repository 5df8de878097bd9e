-- name: step_down_outcomes
-- title: Residential discharges and the client's next lower level of care
-- description: A table macro: step_down_outcomes(start_date, end_date, program_name,
--   site_name) returns one row per episode at level 3.0 or above (the program and site
--   filters apply to it) discharged in the period (cut at the as-of date) with reason
--   completed or transferred, with gap_days: the days from that discharge to the first
--   admission of the same client (any program or site, any stay) at a lower level on or after
--   the discharge day (null when there is none yet). Stepped down within N days: gap_days <=
--   N; eligible for N: discharge_date + N on or before as_of.
-- params:
-- columns: episode_id, client_id, level_num, discharge_date, as_of, gap_days
-- materialize: macro

-- sqlfluff reads the macro's parameters as unqualified columns:
-- noqa: disable=RF02
create or replace macro step_down_outcomes(start_date, end_date, program_name, site_name) as table
    with

    discharges as (
        select e.episode_id, e.client_id, e.level_num, e.discharge_date, p.as_of
        from scoped_episodes(program_name, site_name) as e
        inner join reporting_period(start_date, end_date) as p
            on e.discharge_date between p.period_start and p.period_end
        where e.level_num >= 3.0 and e.discharge_reason in ('completed', 'transferred')
    ),

    first_lower as (
        select d.episode_id, min(later.admit_date - d.discharge_date) as gap_days
        from discharges as d
        inner join episode_windows as later
            on
                d.client_id = later.client_id
                and later.level_num < d.level_num
                and later.admit_date >= d.discharge_date
        group by d.episode_id
    ),

    final as (
        select d.*, f.gap_days
        from discharges as d
        left join first_lower as f on d.episode_id = f.episode_id
    )

    select * from final;
