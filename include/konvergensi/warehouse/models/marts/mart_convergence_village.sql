-- mart_convergence_village: how the programmes converge on each village, per quarter.
-- Grain: one row per (quarter, village_code) for every village of the regions in scope.
-- People are counted once, at their locus (see int_person_quarter).
with per_village as (
    select
        quarter,
        village_code,
        count(*) filter (where in_register) as register_people,
        count(*) filter (where in_register and extreme_poor) as register_extreme_poor,
        count(*) filter (where ministries >= 1) as people_reached,
        count(*) filter (where ministries = 1) as reached_by_one_ministry,
        count(*) filter (where ministries >= 2) as reached_by_two_plus_ministries,
        count(*) filter (where in_register and ministries >= 1) as register_reached,
        count(*) filter (where in_register and extreme_poor and ministries >= 1)
            as extreme_poor_reached,
        count(*) filter (where in_register and extreme_poor and ministries = 0)
            as extreme_poor_not_reached,
        count(*) filter (where not in_register and ministries >= 1) as reached_outside_register
    from int_person_quarter
    group by quarter, village_code
),
grid as (
    select q.quarter, v.village_code, v.village_name, v.kecamatan_code, v.kecamatan_name
    from dim_period q
    cross join ref_villages v
)
select
    g.quarter,
    g.village_code,
    g.village_name,
    g.kecamatan_code,
    g.kecamatan_name,
    coalesce(p.register_people, 0) as register_people,
    coalesce(p.register_extreme_poor, 0) as register_extreme_poor,
    coalesce(p.people_reached, 0) as people_reached,
    coalesce(p.reached_by_one_ministry, 0) as reached_by_one_ministry,
    coalesce(p.reached_by_two_plus_ministries, 0) as reached_by_two_plus_ministries,
    coalesce(p.register_reached, 0) as register_reached,
    coalesce(p.extreme_poor_reached, 0) as extreme_poor_reached,
    coalesce(p.extreme_poor_not_reached, 0) as extreme_poor_not_reached,
    coalesce(p.reached_outside_register, 0) as reached_outside_register
from grid g
left join per_village p on p.quarter = g.quarter and p.village_code = g.village_code
order by g.quarter, g.village_code
