-- name: continuation_rate
-- title: NIATx continuation: admissions with 5 attended sessions in their first 30 days
-- description: Eligible: focus admissions in the period whose admit_date + 30 is on or before
--   the as-of date (so the whole 30 days are known). Continued: at least 5 attended treatment
--   sessions (any type but workshop; the first plus four more) that belong to an episode of
--   the admission's stay and are dated admit_date .. admit_date + 30. A transfer out before day
--   30 is not left out: it simply is not continuation in this program. rate = continued /
--   eligible, null when none are eligible.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: continued, eligible, rate

with

eligible as (
    select episode_id, stay_id, admit_date
    from focus_admissions($start_date, $end_date, $focus, $program, $site)
    where admit_date + 30 <= as_of
),

early_sessions as (
    -- the stay's attended treatment sessions dated admit_date .. admit_date + 30
    select
        a.episode_id,
        len(list_filter(
            s.attended_dates, lambda d: d between a.admit_date and a.admit_date + 30  -- noqa: RF02
        )) as attended
    from eligible as a
    inner join stay_attendance as s on a.stay_id = s.stay_id
),

final as (
    select
        count(*) filter (where coalesce(s.attended, 0) >= 5) as continued,
        count(*) as eligible,
        count(*) filter (where coalesce(s.attended, 0) >= 5) / nullif(count(*), 0) as rate
    from eligible as a
    left join early_sessions as s on a.episode_id = s.episode_id
)

select * from final
