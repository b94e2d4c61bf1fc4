-- dim_period: reporting quarters present in the data, with the quarter each is compared with
-- and whether every source delivered every period of it.
-- Grain: one row per quarter.
select
    quarter,
    year,
    quarter_of_year,
    first_day,
    last_day,
    previous_quarter,
    quarter = (select max(quarter) from int_quarters) as is_latest,
    sources_delivered,
    sources_expected,
    periods_delivered,
    periods_expected,
    complete,
    records
from int_quarters
