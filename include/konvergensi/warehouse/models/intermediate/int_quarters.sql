-- int_quarters: the reporting quarters in the data, the quarter each is compared with, and
-- whether every source delivered every period of it.
-- Grain: one row per reporting quarter with at least one accepted record.
-- previous_quarter is the calendar quarter before, and only when the data holds it. A quarter
-- is complete when each source's contract cadence is met: three months from a monthly source,
-- the quarter from a quarterly one (a monthly source that sent one month counts one of three).
with present as (
    select
        quarter,
        count(distinct source) as sources_delivered,
        count(distinct (source, period)) as periods_delivered,
        count(*) as records
    from stg_records
    group by quarter
),
expected as (
    select
        count(*) as sources_expected,
        cast(sum(case cadence when 'monthly' then 3 when 'quarterly' then 1 end) as bigint)
            as periods_expected
    from stg_programmes
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
    e.sources_expected,
    d.periods_delivered,
    e.periods_expected,
    d.periods_delivered = e.periods_expected as complete,
    d.records
from dated d
cross join expected e
left join present p
    on p.quarter = case
        when d.quarter_of_year = 1 then (d.year - 1) || '-Q4'
        else d.year || '-Q' || (d.quarter_of_year - 1)
    end
