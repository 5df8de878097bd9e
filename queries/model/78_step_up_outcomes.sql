-- name: step_up_outcomes
-- title: Focus discharges and the client's next higher level of care
-- description: A table macro: step_up_outcomes(start_date, end_date, focus, program_name,
--   site_name) returns one row per focus episode discharged in the period (cut at the as-of
--   date), whatever the reason, with step_up_date: the first admission of the same client
--   (any program or site) at a higher level on or after the discharge day (null when there is
--   none yet) and gap_days from the discharge to it. Stepped up within 14 days: gap_days <= 14;
--   eligible: discharge_date + 14 on or before as_of.
-- params:
-- columns: episode_id, client_id, level_num, discharge_date, as_of, step_up_date, gap_days
-- materialize: macro

-- sqlfluff reads the macro's parameters as unqualified columns:
-- noqa: disable=RF02
create or replace macro step_up_outcomes(start_date, end_date, focus, program_name, site_name) as table
    with

    discharges as (
        select e.episode_id, e.client_id, e.level_num, e.discharge_date, p.as_of
        from focus_episodes(focus, program_name, site_name) as e
        inner join reporting_period(start_date, end_date) as p
            on e.discharge_date between p.period_start and p.period_end
    ),

    first_higher as (
        select d.episode_id, min(later.admit_date) as step_up_date
        from discharges as d
        inner join episode_windows as later
            on
                d.client_id = later.client_id
                and later.level_num > d.level_num
                and later.admit_date >= d.discharge_date
        group by d.episode_id
    ),

    final as (
        select d.*, f.step_up_date, f.step_up_date - d.discharge_date as gap_days
        from discharges as d
        left join first_higher as f on d.episode_id = f.episode_id
    )

    select * from final;
