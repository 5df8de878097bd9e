-- name: episode_measures
-- title: Baseline and follow-up scores of discharged episodes (PHQ-9, GAD-7)
-- description: One row per discharged episode (any level) and thresholded instrument. The
--   baseline is the client's earliest score dated admit_date - 7 .. admit_date + 14; the
--   follow-up is the client's latest score dated baseline date + 14 .. discharge_date. Scores
--   are matched by date alone (whatever episode they belong to) and several scores of one
--   instrument on one date count as their mean. Baseline and follow-up are null when missing.
--   change = baseline - follow-up (a fall is positive). Thresholds come from
--   instrument_thresholds (NHS Talking Therapies).
-- params:
-- columns: episode_id, client_id, instrument, admit_date, discharge_date, baseline_date, baseline, followup_date, followup, change, reliable_change, response_fall, remission_below
-- materialize: table

with

discharged as (
    select episode_id, client_id, admit_date, discharge_date
    from episode_windows
    where discharge_date is not null
),

thresholds as (
    select * from instrument_thresholds
),

daily_scores as (
    -- several scores of one instrument on one date count as their mean
    select client_id, instrument, assessment_date, avg(score) as score
    from assessment_scores
    where instrument in (select instrument from thresholds)
    group by client_id, instrument, assessment_date
),

episode_instruments as (
    select d.*, t.instrument, t.reliable_change, t.response_fall, t.remission_below
    from discharged as d
    cross join thresholds as t
),

baseline_dates as (
    select e.episode_id, e.instrument, min(s.assessment_date) as baseline_date
    from episode_instruments as e
    inner join daily_scores as s
        on
            e.client_id = s.client_id
            and e.instrument = s.instrument
            and s.assessment_date between e.admit_date - 7 and e.admit_date + 14
    group by e.episode_id, e.instrument
),

followup_dates as (
    select e.episode_id, e.instrument, max(s.assessment_date) as followup_date
    from episode_instruments as e
    inner join baseline_dates as b on e.episode_id = b.episode_id and e.instrument = b.instrument
    inner join daily_scores as s
        on
            e.client_id = s.client_id
            and e.instrument = s.instrument
            and s.assessment_date between b.baseline_date + 14 and e.discharge_date
    group by e.episode_id, e.instrument
),

final as (
    select
        e.episode_id,
        e.client_id,
        e.instrument,
        e.admit_date,
        e.discharge_date,
        b.baseline_date,
        bs.score as baseline,
        f.followup_date,
        fs.score as followup,
        bs.score - fs.score as change,
        e.reliable_change,
        e.response_fall,
        e.remission_below
    from episode_instruments as e
    left join baseline_dates as b on e.episode_id = b.episode_id and e.instrument = b.instrument
    left join daily_scores as bs
        on e.client_id = bs.client_id and e.instrument = bs.instrument and b.baseline_date = bs.assessment_date
    left join followup_dates as f on e.episode_id = f.episode_id and e.instrument = f.instrument
    left join daily_scores as fs
        on e.client_id = fs.client_id and e.instrument = fs.instrument and f.followup_date = fs.assessment_date
)

select * from final
