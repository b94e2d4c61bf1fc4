-- int_quarters: the reporting quarters in the data and the quarter each is compared with.
-- Grain: one row per reporting quarter with at least one accepted record.
-- previous_quarter is the calendar quarter before, and only when the data holds it.
with present as (
    select quarter, count(distinct source) as sources_delivered, count(*) as records
    from stg_records
    group by quarter
),
dated as (
    select
        *,
        cast(substr(quarter, 1, 4) as integer) as year,
        cast(substr(quarter, 7, 1) as integer) as quarter_of_year
    from present
)
select
    d.quarter,
    d.year,
    d.quarter_of_year,
    make_date(d.year, 3 * d.quarter_of_year - 2, 1) as first_day,
    cast(make_date(d.year, 3 * d.quarter_of_year - 2, 1) + interval 3 month - interval 1 day as date)
        as last_day,
    p.quarter as previous_quarter,
    d.sources_delivered,
    d.records
from dated d
left join present p
    on p.quarter = case
        when d.quarter_of_year = 1 then (d.year - 1) || '-Q4'
        else d.year || '-Q' || (d.quarter_of_year - 1)
    end
