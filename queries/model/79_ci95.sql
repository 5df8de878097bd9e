-- name: ci95
-- title: The mean and its 95% confidence interval, as aggregate macros
-- description: Scalar macros over a column, used like aggregates: ci95_lower(x) and
--   ci95_upper(x) are mean(x) -/+ 1.96 x the standard error (sample standard deviation /
--   sqrt(n)), over the non-null values of x, null with fewer than 2 values. To count only some
--   rows, pass if(condition, x, null).
-- params:
-- columns: (scalar macros)
-- materialize: macro

create or replace macro ci95_lower(x) as if(count(x) >= 2, avg(x) - 1.96 * stddev_samp(x) / sqrt(count(x)), null);

create or replace macro ci95_upper(x) as if(count(x) >= 2, avg(x) + 1.96 * stddev_samp(x) / sqrt(count(x)), null);
