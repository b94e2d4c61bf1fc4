-- int_intervention_village: who each intervention type reached in each village, before disclosure
-- control.
-- Grain: one row per (quarter, village_code, intervention_type) for every village in scope, every
-- quarter and every intervention type of the programmes.
-- People are counted at their own locus, households at the household's locus (as in the
-- convergence tables), so village counts add up to kecamatan and regency counts.
with person_type as (
    select distinct person_id, quarter, intervention_type
    from int_records_resolved
    where role = 'intervention'
),
people as (
    select
        t.quarter,
        p.village_code,
        t.intervention_type,
        count(*) as people_reached,
        count(*) filter (where p.in_register) as register_reached,
        count(*) filter (where p.in_register and p.extreme_poor) as extreme_poor_reached,
        count(*) filter (where not p.in_register) as reached_outside_register
    from person_type t
    join int_person_quarter p on p.person_id = t.person_id and p.quarter = t.quarter
    group by t.quarter, p.village_code, t.intervention_type
),
household_type as (
    select distinct p.household_id, t.quarter, t.intervention_type
    from person_type t
    join int_person_quarter p on p.person_id = t.person_id and p.quarter = t.quarter
),
households as (
    select
        t.quarter,
        h.village_code,
        t.intervention_type,
        count(*) as households_reached,
        count(*) filter (where h.in_register and h.extreme_poor)
            as extreme_poor_households_reached
    from household_type t
    join int_household_quarter h on h.household_id = t.household_id and h.quarter = t.quarter
    group by t.quarter, h.village_code, t.intervention_type
),
types as (
    select distinct intervention_type from stg_programmes where role = 'intervention'
),
grid as (
    select q.quarter, v.village_code, v.kecamatan_code, v.regency_code, t.intervention_type
    from int_quarters q
    cross join stg_villages v
    cross join types t
)
select
    g.quarter,
    g.village_code,
    g.kecamatan_code,
    g.regency_code,
    g.intervention_type,
    coalesce(p.people_reached, 0) as people_reached,
    coalesce(p.register_reached, 0) as register_reached,
    coalesce(p.extreme_poor_reached, 0) as extreme_poor_reached,
    coalesce(p.reached_outside_register, 0) as reached_outside_register,
    coalesce(h.households_reached, 0) as households_reached,
    coalesce(h.extreme_poor_households_reached, 0) as extreme_poor_households_reached
from grid g
left join people p
    on p.quarter = g.quarter
    and p.village_code = g.village_code
    and p.intervention_type = g.intervention_type
left join households h
    on h.quarter = g.quarter
    and h.village_code = g.village_code
    and h.intervention_type = g.intervention_type
