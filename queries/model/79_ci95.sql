-- name: ci95
-- title: The mean and its 95% confidence interval, as aggregate macros
-- description: Scalar macros over a column, used like aggregates: ci95_lower(x) and
--   ci95_upper(x) are mean(x) -/+ t x the standard error (sample standard deviation /
--   sqrt(n)), over the non-null values of x, null with fewer than 2 values. t is Student's
--   97.5% quantile with n - 1 degrees of freedom (t975), so a week measured on five
--   clients gets the wider interval it deserves (2.78 standard errors, not 1.96). To count
--   only some rows, pass if(condition, x, null).
-- params:
-- columns: (scalar macros)
-- materialize: macro

-- t975(df): the table's values for 1 to 30 degrees of freedom (4 decimals); above 30 the
-- Cornish-Fisher expansion around z = 1.959964, within 0.0002 of the exact quantile there.
create or replace macro t975(df) as
case
    when df < 1 then null
    when df <= 30
        then
            [
                12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
                2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
                2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423
            ][cast(df as integer)]
    else
        1.959964
        + (1.959964 ^ 3 + 1.959964) / (4 * df)
        + (5 * 1.959964 ^ 5 + 16 * 1.959964 ^ 3 + 3 * 1.959964) / (96 * df ^ 2)
end;

create or replace macro ci95_lower(x) as
if(count(x) >= 2, avg(x) - t975(count(x) - 1) * stddev_samp(x) / sqrt(count(x)), null);

create or replace macro ci95_upper(x) as
if(count(x) >= 2, avg(x) + t975(count(x) - 1) * stddev_samp(x) / sqrt(count(x)), null);
