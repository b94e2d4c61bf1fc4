-- int_household_quarter: what a household's members received in a quarter, and its register status.
-- Grain: one row per (household_id, quarter) with at least one member record in that quarter.
-- A person's household that quarter is the one int_person_quarter gives them.
-- Locus: the lowest register village of its members that quarter, otherwise the locus most of
-- its members share (ties: lowest code).
with members as (
    select
        household_id,
        quarter,
        count(*) as members_seen,
        count(*) filter (where in_register) as members_in_register,
        count(*) filter (where ministries >= 1) as members_reached,
        bool_or(in_register) as in_register,
        bool_or(in_register and extreme_poor) as extreme_poor,
        min(welfare_decile) as welfare_decile,
        min(village_code) filter (where in_register) as register_village
    from int_person_quarter
    group by household_id, quarter
),
member_villages as (
    select household_id, quarter, village_code, count(*) as people
    from int_person_quarter
    group by household_id, quarter, village_code
),
locus as (
    select
        household_id,
        quarter,
        first(village_code order by people desc, village_code) as village_code
    from member_villages
    group by household_id, quarter
),
received as (
    select
        p.household_id,
        r.quarter,
        count(distinct r.ministry) as ministries,
        count(distinct r.intervention_type) as intervention_types,
        count(distinct r.intervention_type) filter (where r.convergence_strategy)
            as strategy_types,
        list(distinct r.ministry order by r.ministry) as ministry_list,
        list(distinct r.intervention_type order by r.intervention_type) as intervention_type_list
    from int_records_resolved r
    join int_person_quarter p on p.person_id = r.person_id and p.quarter = r.quarter
    where r.role = 'intervention'
    group by p.household_id, r.quarter
)
select
    m.household_id,
    m.quarter,
    coalesce(m.register_village, l.village_code) as village_code,
    substr(coalesce(m.register_village, l.village_code), 1, 8) as kecamatan_code,
    substr(coalesce(m.register_village, l.village_code), 1, 5) as regency_code,
    substr(coalesce(m.register_village, l.village_code), 1, 2) as province_code,
    m.in_register,
    m.extreme_poor,
    m.welfare_decile,
    m.members_seen,
    m.members_in_register,
    m.members_reached,
    coalesce(r.ministries, 0) as ministries,
    coalesce(r.intervention_types, 0) as intervention_types,
    coalesce(r.strategy_types, 0) as strategy_types,
    coalesce(r.strategy_types, 0) = (select count(*) from ref_strategy_types)
        as all_strategy_types,
    coalesce(r.ministry_list, []) as ministry_list,
    coalesce(r.intervention_type_list, []) as intervention_type_list
from members m
join locus l on l.household_id = m.household_id and l.quarter = m.quarter
left join received r on r.household_id = m.household_id and r.quarter = m.quarter
