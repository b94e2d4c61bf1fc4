-- fact_register_membership: who is in the target register, with decile and extreme-poor flag
-- as of that quarter (both change over time) and as of the quarter before.
-- Grain: one row per (quarter, beneficiary_key) present in the register that quarter.
select
    p.quarter,
    p.village_code,
    p.kecamatan_code,
    p.regency_code,
    p.province_code,
    k.beneficiary_key,
    hk.household_key,
    p.welfare_decile,
    p.extreme_poor,
    case when q.previous_quarter is not null then coalesce(b.in_register, false) end
        as in_register_previous,
    case when b.in_register then b.welfare_decile end as welfare_decile_previous,
    case when b.in_register then b.extreme_poor end as extreme_poor_previous
from int_person_quarter p
join int_quarters q on q.quarter = p.quarter
left join int_person_quarter b on b.person_id = p.person_id and b.quarter = q.previous_quarter
join stg_beneficiary_keys k on k.person_id = p.person_id
join stg_household_keys hk on hk.household_id = p.household_id
where p.in_register
