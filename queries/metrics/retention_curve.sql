-- name: retention_curve
-- title: Time in care of each admission, for the Kaplan-Meier retention curve
-- description: One row per focus admission (focus episode admitted in the period; program and
--   site filters apply to it). duration_days = the last attended treatment session (any type
--   but workshop) that belongs to an episode of the admission's stay and is dated on or after
--   the admit_date, minus the admit_date; 0 when there is none (an earlier session of the stay,
--   e.g. in residential care before the admission, does not count). lost (the Kaplan-Meier
--   event) is true when the stay ended with a reason other than completed or transferred, or
--   when the stay is still open on the as-of date and its last attended treatment session
--   (the admit_date when there is none) is more than 30 days before the as-of date
--   (definitions.KM_LOST_AFTER_DAYS); otherwise the admission is censored at duration_days.
--   The split columns name a missing value 'not recorded': program and site of the admission,
--   the client's primary_substance and referral_source (from clients), admission_level (the
--   level of the focus episode) and stay_first_level (the level the stay began at).
--   outcomes.survival.kaplan_meier turns these rows into the curve.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: episode_id, admit_date, last_attended_date, duration_days, lost, stay_status, program, site, primary_substance, referral_source, admission_level, stay_first_level

with

admissions as (
    select episode_id, client_id, stay_id, admit_date, level_code, program, site, as_of
    from focus_admissions($start_date, $end_date, $focus, $program, $site)
),

stays_of_admissions as (
    select stay_id, is_ended, end_reason, split_part(first_level, '-', 1) as first_level_code
    from stays
    where stay_id in (select stay_id from admissions)
),

client_attributes as (
    select client_id, primary_substance, referral_source from clients
),

last_attended as (
    select * from last_attended_after_admission($start_date, $end_date, $focus, $program, $site)
),

outcomes as (
    select
        a.*,
        l.last_attended_date,
        coalesce(l.last_attended_date - a.admit_date, 0) as duration_days,
        case
            when st.is_ended then st.end_reason not in ('completed', 'transferred')
            else a.as_of - coalesce(l.last_attended_date, a.admit_date) > 30
        end as lost,
        case
            when st.is_ended then 'ended ' || st.end_reason
            when a.as_of - coalesce(l.last_attended_date, a.admit_date) > 30 then 'open, no attendance in 30 days'
            else 'open'
        end as stay_status,
        st.first_level_code
    from admissions as a
    inner join stays_of_admissions as st on a.stay_id = st.stay_id
    left join last_attended as l on a.episode_id = l.episode_id
),

final as (
    select
        o.episode_id,
        o.admit_date,
        o.last_attended_date,
        o.duration_days,
        o.lost,
        o.stay_status,
        coalesce(o.program, 'not recorded') as program,
        coalesce(o.site, 'not recorded') as site,
        coalesce(c.primary_substance, 'not recorded') as primary_substance,
        coalesce(c.referral_source, 'not recorded') as referral_source,
        o.level_code as admission_level,
        o.first_level_code as stay_first_level
    from outcomes as o
    left join client_attributes as c on o.client_id = c.client_id
    order by o.admit_date, o.episode_id
)

select * from final
