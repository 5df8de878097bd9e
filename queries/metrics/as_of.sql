-- name: as_of
-- title: The as-of date the metrics see the data on
-- description: One row: the as-of date of the model (the build's, or the --as-of date of the
--   kpis command): the latest admit, discharge, session, assessment or event date among the
--   loaded rows unless a date was given.
-- params:
-- columns: as_of

select as_of from model_as_of
