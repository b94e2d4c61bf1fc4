-- dim_household: resolved households (linked through KK numbers, register families and members).
-- Grain: one row per resolved household (household_key).
-- Locus is that of the household's latest quarter in the data.
with latest as (
    select household_id, max(quarter) as quarter
    from int_household_quarter
    group by household_id
),
history as (
    select
        household_id,
        min(quarter) as first_quarter,
        max(quarter) as last_quarter,
        count(*) as quarters_present,
        bool_or(in_register) as ever_in_register,
        bool_or(extreme_poor) as ever_extreme_poor,
        bool_or(members_reached >= 1) as ever_reached
    from int_household_quarter
    group by household_id
),
members as (
    select household_id, count(distinct person_id) as members_seen
    from int_person_quarter
    group by household_id
)
select
    k.household_key,
    h.village_code,
    h.kecamatan_code,
    h.regency_code,
    h.province_code,
    m.members_seen,
    y.first_quarter,
    y.last_quarter,
    y.quarters_present,
    y.ever_in_register,
    y.ever_extreme_poor,
    y.ever_reached
from latest l
join int_household_quarter h on h.household_id = l.household_id and h.quarter = l.quarter
join history y on y.household_id = l.household_id
join members m on m.household_id = l.household_id
join stg_household_keys k on k.household_id = l.household_id
