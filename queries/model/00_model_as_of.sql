-- name: model_as_of
-- title: The as-of date the model was built for
-- description: One row: the date on which the model sees the data. Every metric reads it from
--   here (through reporting_period), so a metric can never mix two as-of dates. The build also
--   defines the macro as_of_date(), the same date as a constant, for the model's views.
-- params: as_of date
-- columns: as_of
-- materialize: table

select cast($as_of as date) as as_of
