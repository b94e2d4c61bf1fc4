-- fact_register_membership: who is in the target register, with decile and extreme-poor flag
-- as of that quarter (both change over time).
-- Grain: one row per (quarter, beneficiary_key) present in the register that quarter.
select
    p.quarter,
    k.beneficiary_key,
    h.household_key,
    p.village_code,
    p.welfare_decile,
    p.extreme_poor
from int_person_quarter p
join src_person_keys k on k.person_id = p.person_id
join src_household_keys h on h.household_id = p.household_id
where p.in_register
