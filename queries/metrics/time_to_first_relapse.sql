-- name: time_to_first_relapse
-- title: Days from admission to the first relapse (for Kaplan-Meier), per focus admission
-- description: One row per focus admission in the period (admit_date in the period, cut at
--   the as-of date). Followed over its episode window, admit_date .. discharge_date (or the
--   as-of date while open), not only inside the period. relapsed: the client has a relapse
--   event of any type dated inside that window (matched by date, whatever episode the event
--   names); days = the earliest such event_date - admit_date (0 = on the admit day). Otherwise
--   censored: days = window end - admit_date (discharge, or still in care on the as-of date).
--   The groups the page can split by (as on the retention page): the episode's program, site
--   and level (admission_level), the level its stay began at (stay_first_level), and the
--   client's primary substance and referral source (null when the clients file does not give
--   them). No client identifier.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: admit_date, days, relapsed, censored_by, program, site, admission_level, stay_first_level, primary_substance, referral_source

with

period as (
    select * from reporting_period($start_date, $end_date)
),

admissions as (
    select e.*
    from focus_episodes($focus, $program, $site) as e
    inner join period as p on e.admit_date between p.period_start and p.period_end
),

first_relapse as (
    select a.episode_id, min(r.event_date) as first_date
    from admissions as a
    inner join relapses as r
        on a.client_id = r.client_id and r.event_date between a.admit_date and a.window_end
    group by a.episode_id
),

clients_ as (
    select client_id, primary_substance, referral_source from clients
),

final as (
    select
        a.admit_date,
        coalesce(f.first_date, a.window_end) - a.admit_date as days,
        f.first_date is not null as relapsed,
        case
            when f.first_date is not null then null
            when a.is_open then 'in care on the as-of date'
            else 'discharged'
        end as censored_by,
        a.program,
        a.site,
        a.level_of_care as admission_level,
        s.first_level as stay_first_level,
        c.primary_substance,
        c.referral_source
    from admissions as a
    left join first_relapse as f on a.episode_id = f.episode_id
    left join clients_ as c on a.client_id = c.client_id
    left join stays as s on a.stay_id = s.stay_id
)

select * from final order by admit_date, days
