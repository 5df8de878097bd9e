-- name: workshop_topics
-- title: Workshop attendance by curriculum topic
-- description: Attended workshop rows dated in the period (cut at the as-of date), with a
--   program or site filter only rows that belong to an episode of that program or site (as
--   workshops_held). The topic of a row is the curriculum topic it matches (topics, in teaching
--   order; case, spaces, hyphens and underscores alike), else its topic as written, else 'not
--   recorded'. One row per topic: workshops (distinct workshop_key), client attendances (rows),
--   guests (empty counts 0) and families: distinct clients who came with at least one guest.
--   The curriculum topics are always listed (0 when none was held), in teaching order, then
--   the others by name.
-- params: start_date date, end_date date, program varchar, site varchar, topics varchar[]
-- columns: topic, curriculum, topic_order, workshops, client_attendances, guests, families

with

period as (
    select * from reporting_period($start_date, $end_date)
),

curriculum as (
    select t.topic, vocab_key(t.topic) as topic_key, cast(t.topic_order as integer) as topic_order
    from unnest(cast($topics as varchar[])) with ordinality as t (topic, topic_order)
),

attended_rows as (
    select s.client_id, s.workshop_key, s.topic, coalesce(s.guests, 0) as guests
    from attended_workshops($program, $site) as s
    inner join period as p on s.session_date between p.period_start and p.period_end
),

topical as (
    select
        a.*,
        coalesce(c.topic, a.topic, 'not recorded') as shown_topic,
        c.topic is not null as curriculum,
        c.topic_order
    from attended_rows as a
    left join curriculum as c on vocab_key(a.topic) = c.topic_key
),

others as (
    select shown_topic as topic, false as curriculum, cast(null as integer) as topic_order
    from topical
    where not curriculum
    group by shown_topic
),

topics_ as (
    select topic, true as curriculum, topic_order from curriculum
    union all
    select * from others
),

final as (
    select
        t.topic,
        t.curriculum,
        t.topic_order,
        count(distinct x.workshop_key) as workshops,
        count(x.workshop_key) as client_attendances,
        cast(coalesce(sum(x.guests), 0) as bigint) as guests,
        count(distinct x.client_id) filter (where x.guests >= 1) as families
    from topics_ as t
    left join topical as x on t.topic = x.shown_topic
    group by all
)

select * from final order by curriculum desc, topic_order, topic
