-- name: show_rate
-- title: The show rate of a set of sessions, as an aggregate macro
-- description: show_rate(status) = attended / (attended + no_show) over the rows it
--   aggregates; cancelled and excused count in neither; null when there are none. The one
--   place the show rate's rule is written (kpis attendance_rate and the show-rate charts).
-- params:
-- columns: (a scalar macro)
-- materialize: macro

create or replace macro show_rate(status) as
count_if(status = 'attended') / nullif(count_if(status in ('attended', 'no_show')), 0);
