-- name: guest_rule_breaks
-- title: Workshop rows with more than 3 guests (program rule)
-- description: Attendance rows whose guests exceed the program rule of at most 3 loved ones
--   per client at a workshop. They load (the rule is the program's, not the data's) and are
--   listed here so the team can check the export or the practice.
-- params:
-- columns: line, client_id, session_date, session_type, session_id, topic, guests, episode_id

select line, client_id, session_date, session_type, session_id, topic, guests, episode_id
from attendance
where guests > 3
order by session_date, line
