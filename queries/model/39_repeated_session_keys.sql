-- name: repeated_session_keys
-- title: Hashes of (client, session_id) pairs that more than one attendance row shares
-- description: One row per hash of a (client_id, session_id) pair that two or more attendance
--   rows dated on or before the as-of date share. Only those rows need grouping into one
--   session (session_rows); every other row is a session of its own. A hash can collide, which
--   only makes a few single rows go through the exact grouping as well: never a wrong result.
-- params:
-- columns: key_hash
-- materialize: table

with

known_rows as (
    select client_id, session_id
    from attendance
    where session_date <= as_of_date() and session_id is not null
),

final as (
    select hash(client_id, session_id) as key_hash
    from known_rows
    group by key_hash
    having count(*) > 1
)

select * from final
