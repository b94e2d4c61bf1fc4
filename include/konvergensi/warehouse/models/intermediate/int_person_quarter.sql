-- int_person_quarter: what each person received in a quarter, where they live, register status.
-- Grain: one row per (person_id, quarter) with at least one record in that quarter.
-- Locus: the register's village when the person is in the register that quarter, otherwise
-- the village named most often by their intervention records (ties: lowest code).
with register as (
    select
        person_id,
        quarter,
        min(village_code) as register_village,
        min(welfare_decile) as welfare_decile,
        bool_or(coalesce(extreme_poor, false)) as extreme_poor,
        min(household_id) as household_id
    from int_records_resolved
    where role = 'target_register'
    group by person_id, quarter
),
interventions as (
    select
        person_id,
        quarter,
        count(*) as intervention_records,
        count(distinct ministry) as ministries,
        count(distinct intervention_type) as intervention_types,
        count(distinct intervention_type) filter (where convergence_strategy) as strategy_types,
        list(distinct ministry order by ministry) as ministry_list,
        list(distinct intervention_type order by intervention_type) as intervention_type_list,
        min(household_id) as household_id
    from int_records_resolved
    where role = 'intervention'
    group by person_id, quarter
),
village_votes as (
    select person_id, quarter, village_code, count(*) as votes
    from int_records_resolved
    where role = 'intervention'
    group by person_id, quarter, village_code
),
intervention_village as (
    select person_id, quarter, first(village_code order by votes desc, village_code) as village_code
    from village_votes
    group by person_id, quarter
),
located as (
    select
        coalesce(r.person_id, i.person_id) as person_id,
        coalesce(r.quarter, i.quarter) as quarter,
        coalesce(r.household_id, i.household_id) as household_id,
        coalesce(r.register_village, v.village_code) as village_code,
        r.person_id is not null as in_register,
        coalesce(r.extreme_poor, false) as extreme_poor,
        r.welfare_decile,
        coalesce(i.intervention_records, 0) as intervention_records,
        coalesce(i.ministries, 0) as ministries,
        coalesce(i.intervention_types, 0) as intervention_types,
        coalesce(i.strategy_types, 0) as strategy_types,
        coalesce(i.ministry_list, []) as ministry_list,
        coalesce(i.intervention_type_list, []) as intervention_type_list
    from register r
    full outer join interventions i on i.person_id = r.person_id and i.quarter = r.quarter
    left join intervention_village v
        on v.person_id = coalesce(r.person_id, i.person_id)
        and v.quarter = coalesce(r.quarter, i.quarter)
)
select
    *,
    substr(village_code, 1, 8) as kecamatan_code,
    substr(village_code, 1, 5) as regency_code,
    substr(village_code, 1, 2) as province_code
from located
