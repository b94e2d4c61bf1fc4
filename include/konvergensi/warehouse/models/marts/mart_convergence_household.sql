-- mart_convergence_household: which ministries and intervention types reached each household.
-- Grain: one row per (quarter, household_key) for every household with a member record in that
-- quarter.
select
    h.quarter,
    h.village_code,
    h.kecamatan_code,
    h.regency_code,
    h.province_code,
    k.household_key,
    h.in_register,
    h.extreme_poor,
    h.welfare_decile,
    h.members_seen,
    h.members_in_register,
    h.members_reached,
    h.members_reached >= 1 as reached,
    h.ministries,
    h.ministry_list,
    h.intervention_types,
    h.intervention_type_list,
    h.strategy_types,
    h.all_strategy_types,
    case when q.previous_quarter is not null then coalesce(b.members_reached >= 1, false) end
        as reached_previous_quarter
from int_household_quarter h
join int_quarters q on q.quarter = h.quarter
left join int_household_quarter b
    on b.household_id = h.household_id and b.quarter = q.previous_quarter
join stg_household_keys k on k.household_id = h.household_id
