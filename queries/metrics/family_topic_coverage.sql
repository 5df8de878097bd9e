-- name: family_topic_coverage
-- title: How many of the four curriculum topics each participating family attended
-- description: A participating family: a client who attended a workshop dated in the period
--   (cut at the as-of date) with at least one guest; with a program or site filter only rows
--   that belong to an episode of that program or site count (as workshops_held). Topics
--   covered: the distinct curriculum topics (topics; case, spaces, hyphens and underscores
--   alike) among the workshops in the period the client attended with at least one guest;
--   workshops on other or empty topics add none. One row per number of topics, 0 .. the
--   number of curriculum topics (0 families when none), with the families at that number.
-- params: start_date date, end_date date, program varchar, site varchar, topics varchar[]
-- columns: topics_covered, families

with

period as (
    select * from reporting_period($start_date, $end_date)
),

curriculum as (
    select distinct vocab_key(t.topic) as topic_key
    from unnest(cast($topics as varchar[])) as t (topic)
),

family_visits as (
    select s.client_id, vocab_key(s.topic) as topic_key
    from attended_workshops($program, $site) as s
    inner join period as p on s.session_date between p.period_start and p.period_end
    where s.guests >= 1
),

families as (
    select
        v.client_id,
        count(distinct c.topic_key) as topics_covered
    from family_visits as v
    left join curriculum as c on v.topic_key = c.topic_key
    group by v.client_id
),

counts as (
    select range as topics_covered
    from range(0, (select count(*) from curriculum) + 1)
),

final as (
    select n.topics_covered, count(f.client_id) as families
    from counts as n
    left join families as f on n.topics_covered = f.topics_covered
    group by n.topics_covered
)

select * from final order by topics_covered
