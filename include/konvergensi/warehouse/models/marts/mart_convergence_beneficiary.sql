-- mart_convergence_beneficiary: which ministries and intervention types reached each person.
-- Grain: one row per (quarter, beneficiary_key) for every person with a record in that quarter.
select
    p.quarter,
    p.village_code,
    p.kecamatan_code,
    p.regency_code,
    p.province_code,
    k.beneficiary_key,
    hk.household_key,
    p.in_register,
    p.extreme_poor,
    p.welfare_decile,
    p.ministries >= 1 as reached,
    p.intervention_records,
    p.ministries,
    p.ministry_list,
    p.intervention_types,
    p.intervention_type_list,
    p.strategy_types,
    case when q.previous_quarter is not null then coalesce(b.ministries >= 1, false) end
        as reached_previous_quarter
from int_person_quarter p
join int_quarters q on q.quarter = p.quarter
left join int_person_quarter b on b.person_id = p.person_id and b.quarter = q.previous_quarter
join stg_beneficiary_keys k on k.person_id = p.person_id
join stg_household_keys hk on hk.household_id = p.household_id
