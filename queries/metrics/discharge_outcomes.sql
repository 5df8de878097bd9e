-- name: discharge_outcomes
-- title: Discharges, completion rate and median length of stay
-- description: Focus episodes whose discharge_date (as known on the as-of date) falls in the
--   period. completion_rate = completed / discharges, the share discharged with reason
--   completed (null with no discharges). median_los_days is the median of discharge_date -
--   admit_date in days over those discharges; for an even count, the mean of the two middle
--   values; null with no discharges.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar
-- columns: discharges, completed, completion_rate, median_los_days

with

discharged as (
    select * from focus_discharges($start_date, $end_date, $focus, $program, $site)
),

final as (
    select
        count(*) as discharges,
        count(*) filter (where discharge_reason = 'completed') as completed,
        count(*) filter (where discharge_reason = 'completed') / nullif(count(*), 0) as completion_rate,
        cast(median(los_days) as double) as median_los_days
    from discharged
)

select * from final
