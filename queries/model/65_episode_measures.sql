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

scores_in_reach as (
    -- per episode and instrument, in one pass over its scores dated from admit_date - 7 to
    -- the later of admit_date + 14 and discharge_date: the baseline (earliest date in the
    -- baseline window) and the latest score dated on or before discharge_date. That latest
    -- score is the follow-up when it is dated baseline date + 14 or later; when it is
    -- earlier, no score is dated baseline date + 14 .. discharge_date.
    select
        e.episode_id,
        e.instrument,
        min(s.assessment_date) filter (where s.assessment_date <= e.admit_date + 14) as baseline_date,
        arg_min(s.score, s.assessment_date) filter (where s.assessment_date <= e.admit_date + 14)
            as baseline,
        max(s.assessment_date) filter (where s.assessment_date <= e.discharge_date) as last_date,
        arg_max(s.score, s.assessment_date) filter (where s.assessment_date <= e.discharge_date)
            as last_score
    from episode_instruments as e
    inner join daily_scores as s
        on
            e.client_id = s.client_id
            and e.instrument = s.instrument
            and s.assessment_date between e.admit_date - 7
            and greatest(e.admit_date + 14, e.discharge_date)
    group by e.episode_id, e.instrument
),

measures as (
    select
        episode_id,
        instrument,
        baseline_date,
        baseline,
        if(last_date >= baseline_date + 14, last_date, null) as followup_date,
        if(last_date >= baseline_date + 14, last_score, null) as followup
    from scores_in_reach
),

final as (
    select
        e.episode_id,
        e.client_id,
        e.instrument,
        e.admit_date,
        e.discharge_date,
        m.baseline_date,
        m.baseline,
        m.followup_date,
        m.followup,
        m.baseline - m.followup as change,
        e.reliable_change,
        e.response_fall,
        e.remission_below
    from episode_instruments as e
    left join measures as m on e.episode_id = m.episode_id and e.instrument = m.instrument
)

select * from final
