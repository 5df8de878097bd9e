-- name: filter_options
-- title: The programs and sites the sidebar filters offer
-- description: One row per distinct non-empty program and site among the episodes.
-- params:
-- columns: kind, value

with

episodes_ as (
    select program, site from episodes
),

final as (
    select distinct 'program' as kind, program as value from episodes_ where program is not null
    union all
    select distinct 'site' as kind, site as value from episodes_ where site is not null
)

select * from final order by kind, value
