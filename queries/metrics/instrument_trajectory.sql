-- name: instrument_trajectory
-- title: Mean score by week since admission, with 95% intervals (any instrument)
-- description: Focus episodes discharged in the period (cut at the as-of date), the cohort of
--   the outcome tiles. Scores of the chosen instrument are the client's scores dated
--   admit_date - 7 .. discharge_date (matched by date, whatever episode they name; the
--   baseline window starts 7 days before admission). Several scores on one date count as their
--   mean; an episode's score in a week is the mean of its daily scores in that week. Week =
--   floor((assessment_date - admit_date) / 7), with the 7 days before admission in week 0;
--   weeks after max_week are left out. episodes: episodes measured that week; mean_score:
--   their mean; lower .. upper: mean +- t x standard deviation / sqrt(episodes), t Student's
--   97.5% quantile with episodes - 1 degrees of freedom (ci95), null with fewer than 2. Later weeks hold only the episodes that were still in care, measured.
-- params: start_date date, end_date date, focus varchar[], program varchar, site varchar, instrument varchar, max_week integer
-- columns: week, episodes, mean_score, sd, lower, upper

with

discharged as (
    select e.episode_id, e.client_id, e.admit_date, e.discharge_date
    from focus_discharges($start_date, $end_date, $focus, $program, $site) as e
),

daily_scores as (
    -- several scores of one instrument on one date count as their mean
    select client_id, assessment_date, avg(score) as score
    from assessment_scores
    where instrument = $instrument
    group by client_id, assessment_date
),

episode_weeks as (
    select
        d.episode_id,
        greatest(s.assessment_date - d.admit_date, 0) // 7 as week,
        avg(s.score) as score
    from discharged as d
    inner join daily_scores as s
        on d.client_id = s.client_id and s.assessment_date between d.admit_date - 7 and d.discharge_date
    group by all
),

final as (
    select
        week,
        count(*) as episodes,
        avg(score) as mean_score,
        stddev_samp(score) as sd,
        ci95_lower(score) as lower,
        ci95_upper(score) as upper
    from episode_weeks
    where week <= $max_week
    group by week
)

select * from final order by week
