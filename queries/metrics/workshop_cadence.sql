-- name: workshop_cadence
-- title: Workshops held, their attendance and the gaps between them, per site
-- description: One row per workshop held in the period (cut at the as-of date): a workshop is
--   its workshop_key (session_id, else date and topic) with at least one attended row, as in
--   workshops_held; with a program or site filter only rows that belong to an episode of that
--   program or site count. workshop_date: the earliest date of its attended rows; site: the
--   site most of its attended rows belong to (null when none belongs to an episode); topic:
--   the curriculum topic it matches (case, spaces, hyphens and underscores alike), else its
--   most frequent topic as written; curriculum says whether it matched one of topics.
--   clients: attended rows; guests: their guests (empty counts 0); over_limit_rows: attended
--   rows with more than guest_limit guests. days_since_previous: days since the previous
--   workshop at the same site (also one before the period; null for the first), and
--   over_gap flags a gap of more than gap_days days against the bi-weekly plan.
-- params: start_date date, end_date date, program varchar, site varchar, topics varchar[], guest_limit integer, gap_days integer
-- columns: workshop_date, site, topic, curriculum, clients, guests, total, over_limit_rows, days_since_previous, over_gap

with

period as (
    select * from reporting_period($start_date, $end_date)
),

curriculum as (
    select t.topic, vocab_key(t.topic) as topic_key, t.topic_order
    from unnest(cast($topics as varchar[])) with ordinality as t (topic, topic_order)
),

attended_rows as (
    -- every attended workshop row on or before the as-of date, within the filters
    select s.workshop_key, s.session_date, s.site, s.topic, s.guests
    from attended_workshops($program, $site) as s
),

topic_counts as (
    select workshop_key, topic, count(*) as rows_
    from attended_rows
    where topic is not null
    group by all
),

workshop_topics as (
    select workshop_key, arg_max(topic, (rows_, topic)) as topic
    from topic_counts
    group by workshop_key
),

site_counts as (
    select workshop_key, site, count(*) as rows_
    from attended_rows
    where site is not null
    group by all
),

workshop_sites as (
    select workshop_key, arg_max(site, (rows_, site)) as site
    from site_counts
    group by workshop_key
),

workshops as (
    select
        a.workshop_key,
        min(a.session_date) as workshop_date,
        count(*) as clients,
        cast(coalesce(sum(a.guests), 0) as bigint) as guests,
        count(*) filter (where a.guests > $guest_limit) as over_limit_rows
    from attended_rows as a
    group by a.workshop_key
),

described as (
    select
        w.*,
        s.site,
        coalesce(c.topic, t.topic) as topic,
        c.topic is not null as curriculum
    from workshops as w
    left join workshop_sites as s on w.workshop_key = s.workshop_key
    left join workshop_topics as t on w.workshop_key = t.workshop_key
    left join curriculum as c on vocab_key(t.topic) = c.topic_key
),

gaps as (
    select
        *,
        workshop_date - lag(workshop_date) over (
            partition by site order by workshop_date, workshop_key
        ) as days_since_previous
    from described
),

final as (
    select
        g.workshop_date,
        g.site,
        g.topic,
        g.curriculum,
        g.clients,
        g.guests,
        g.clients + g.guests as total,
        g.over_limit_rows,
        g.days_since_previous,
        coalesce(g.days_since_previous > $gap_days, false) as over_gap
    from gaps as g
    inner join period as p on g.workshop_date between p.period_start and p.period_end
)

select * from final order by workshop_date, site nulls last, topic
