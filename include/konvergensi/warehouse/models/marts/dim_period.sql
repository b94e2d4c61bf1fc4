-- dim_period: reporting quarters present in the data, with the previous quarter for changes.
-- Grain: one row per quarter.
with quarters as (select distinct quarter from stg_records)
select
    quarter,
    cast(substr(quarter, 1, 4) as integer) as year,
    cast(substr(quarter, 7, 1) as integer) as quarter_of_year,
    lag(quarter) over (order by quarter) as previous_quarter
from quarters
