-- int_convergence_village: how the programmes converge on each village, before disclosure control.
-- Grain: one row per (quarter, village_code) for every village in scope and every quarter.
-- People and households are counted once, at their locus; the previous-quarter columns and the
-- flows are null when the data does not hold the quarter before.
with people as (
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
households as (
    select
        quarter,
        village_code,
        count(*) filter (where in_register) as register_households,
        count(*) filter (where in_register and extreme_poor) as extreme_poor_households,
        count(*) filter (where in_register and extreme_poor and members_reached >= 1)
            as extreme_poor_households_reached,
        count(*) filter (where in_register and extreme_poor and members_reached = 0)
            as extreme_poor_households_not_reached,
        count(*) filter (where in_register and members_reached >= 1)
            as register_households_reached,
        count(*) filter (where members_reached >= 1) as households_reached,
        count(*) filter (where all_strategy_types) as households_all_strategy_types
    from int_household_quarter
    group by quarter, village_code
),
flows as (
    select
        quarter,
        village_code,
        count(*) filter (where in_register_now and not in_register_before) as entered_register,
        count(*) filter (where in_register_before and not in_register_now) as left_register,
        count(*) filter (where reached_now and not reached_before) as newly_reached,
        count(*) filter (where reached_before and not reached_now) as no_longer_reached,
        count(*) filter (where extreme_poor_reached_now and not extreme_poor_reached_before)
            as extreme_poor_newly_reached,
        count(*) filter (where extreme_poor_reached_before and not extreme_poor_reached_now)
            as extreme_poor_no_longer_reached
    from int_person_transition
    group by quarter, village_code
),
grid as (
    select q.quarter, q.previous_quarter, v.village_code, v.kecamatan_code, v.regency_code
    from int_quarters q
    cross join stg_villages v
)
select
    g.quarter,
    g.previous_quarter,
    g.village_code,
    g.kecamatan_code,
    g.regency_code,
    coalesce(p.register_people, 0) as register_people,
    coalesce(p.register_extreme_poor, 0) as register_extreme_poor,
    coalesce(p.people_reached, 0) as people_reached,
    coalesce(p.reached_by_one_ministry, 0) as reached_by_one_ministry,
    coalesce(p.reached_by_two_plus_ministries, 0) as reached_by_two_plus_ministries,
    coalesce(p.register_reached, 0) as register_reached,
    coalesce(p.extreme_poor_reached, 0) as extreme_poor_reached,
    coalesce(p.extreme_poor_not_reached, 0) as extreme_poor_not_reached,
    coalesce(p.reached_outside_register, 0) as reached_outside_register,
    coalesce(h.register_households, 0) as register_households,
    coalesce(h.extreme_poor_households, 0) as extreme_poor_households,
    coalesce(h.extreme_poor_households_reached, 0) as extreme_poor_households_reached,
    coalesce(h.extreme_poor_households_not_reached, 0) as extreme_poor_households_not_reached,
    coalesce(h.register_households_reached, 0) as register_households_reached,
    coalesce(h.households_reached, 0) as households_reached,
    coalesce(h.households_all_strategy_types, 0) as households_all_strategy_types,
    case when g.previous_quarter is not null then coalesce(b.register_people, 0) end
        as register_people_previous,
    case when g.previous_quarter is not null then coalesce(b.people_reached, 0) end
        as people_reached_previous,
    case when g.previous_quarter is not null then coalesce(b.extreme_poor_reached, 0) end
        as extreme_poor_reached_previous,
    case when g.previous_quarter is not null then coalesce(f.entered_register, 0) end
        as entered_register,
    case when g.previous_quarter is not null then coalesce(f.left_register, 0) end
        as left_register,
    case when g.previous_quarter is not null then coalesce(f.newly_reached, 0) end
        as newly_reached,
    case when g.previous_quarter is not null then coalesce(f.no_longer_reached, 0) end
        as no_longer_reached,
    case when g.previous_quarter is not null then coalesce(f.extreme_poor_newly_reached, 0) end
        as extreme_poor_newly_reached,
    case when g.previous_quarter is not null then coalesce(f.extreme_poor_no_longer_reached, 0) end
        as extreme_poor_no_longer_reached
from grid g
left join people p on p.quarter = g.quarter and p.village_code = g.village_code
left join households h on h.quarter = g.quarter and h.village_code = g.village_code
left join flows f on f.quarter = g.quarter and f.village_code = g.village_code
left join people b on b.quarter = g.previous_quarter and b.village_code = g.village_code
