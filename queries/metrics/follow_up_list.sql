-- name: follow_up_list
-- title: Clients to follow up: open focus clients who stopped coming or relapsed
-- description: One row per client with an open focus episode on the as-of date (program and
--   site filters apply to that episode; the period does not matter: the list is as of the
--   as-of date). When a client has several open focus episodes, the latest admitted speaks for
--   them. The client's sessions are the treatment sessions (any type but workshop) that belong
--   to an episode of that episode's stay; scheduled ones are those attended or no_show
--   (cancelled and excused were not expected). A client is listed when at least one holds:
--   missed_last_two: their last two scheduled sessions are both no_show (by date, latest
--   first; on one day an attended session counts as the later one); no_recent_attendance:
--   no attended session dated as-of - 7 .. as-of, i.e. days_since_attended = as-of minus the
--   last attended session (minus the admit_date when they never attended) is 8 or more;
--   recent_relapse: a relapse event of the client (any type, matched by date whatever its
--   episode) dated as-of - 14 .. as-of. triggers says which, in words. Client-level: for
--   directors and analysts, never for the board.
-- params: focus varchar[], program varchar, site varchar
-- columns: client_id, episode_id, level_of_care, program, site, admit_date, last_attended_date, days_since_attended, last_two_statuses, missed_last_two, no_recent_attendance, last_relapse_date, last_relapse_type, recent_relapse, triggers, as_of

with

as_of as (
    select as_of from model_as_of
),

open_focus as (
    select e.episode_id, e.client_id, e.stay_id, e.level_of_care, e.program, e.site, e.admit_date
    from focus_episodes($focus, $program, $site) as e
    where e.is_open
    qualify row_number() over (partition by e.client_id order by e.admit_date desc, e.episode_id desc) = 1
),

scheduled as (
    select
        o.client_id,
        s.session_date,
        s.status,
        row_number() over (
            partition by o.client_id
            order by s.session_date desc, s.status = 'attended' desc, s.line desc
        ) as recency
    from open_focus as o
    inner join sessions as s on o.stay_id = s.stay_id
    where s.is_treatment and s.status in ('attended', 'no_show')
),

last_two as (
    select
        client_id,
        string_agg(status, ', ' order by recency) as last_two_statuses,
        count(*) = 2 and bool_and(status = 'no_show') as missed_last_two
    from scheduled
    where recency <= 2
    group by client_id
),

last_attended as (
    select client_id, max(session_date) as last_attended_date
    from scheduled
    where status = 'attended'
    group by client_id
),

recent_relapses as (
    select
        r.client_id,
        max(r.event_date) as last_relapse_date,
        arg_max(r.event_type, (r.event_date, r.line)) as last_relapse_type
    from relapses as r
    cross join as_of as a
    where r.event_date between a.as_of - 14 and a.as_of
    group by r.client_id
),

flags as (
    select
        o.*,
        l.last_attended_date,
        a.as_of - coalesce(l.last_attended_date, o.admit_date) as days_since_attended,
        t.last_two_statuses,
        coalesce(t.missed_last_two, false) as missed_last_two,
        a.as_of - coalesce(l.last_attended_date, o.admit_date) > 7 as no_recent_attendance,
        r.last_relapse_date,
        r.last_relapse_type,
        r.client_id is not null as recent_relapse,
        a.as_of
    from open_focus as o
    cross join as_of as a
    left join last_attended as l on o.client_id = l.client_id
    left join last_two as t on o.client_id = t.client_id
    left join recent_relapses as r on o.client_id = r.client_id
),

final as (
    select
        client_id,
        episode_id,
        level_of_care,
        program,
        site,
        admit_date,
        last_attended_date,
        days_since_attended,
        last_two_statuses,
        missed_last_two,
        no_recent_attendance,
        last_relapse_date,
        last_relapse_type,
        recent_relapse,
        concat_ws(
            '; ',
            if(missed_last_two, 'missed the last 2 scheduled sessions', null),
            case
                when not no_recent_attendance then null
                when last_attended_date is null
                    then 'no attended session since admission ' || days_since_attended || ' days ago'
                else 'no attended session for ' || days_since_attended || ' days'
            end,
            case
                when recent_relapse
                    then
                        'relapse (' || replace(last_relapse_type, '_', ' ') || ') '
                        || (as_of - last_relapse_date)
                        || if(as_of - last_relapse_date = 1, ' day ago', ' days ago')
            end
        ) as triggers,
        as_of
    from flags
    where missed_last_two or no_recent_attendance or recent_relapse
    order by
        cast(missed_last_two as integer) + cast(no_recent_attendance as integer)
        + cast(recent_relapse as integer) desc,
        days_since_attended desc,
        client_id
)

select * from final
