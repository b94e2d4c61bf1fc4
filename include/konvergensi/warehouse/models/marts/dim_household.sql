-- dim_household: resolved households (linked through KK numbers, register families and members).
-- Grain: one row per resolved household (household_key).
select
    h.household_key,
    count(distinct r.person_id) as members_seen,
    bool_or(r.role = 'target_register') as ever_in_register,
    min(r.village_code) as village_code
from int_records_resolved r
join src_household_keys h on h.household_id = r.household_id
group by h.household_key
