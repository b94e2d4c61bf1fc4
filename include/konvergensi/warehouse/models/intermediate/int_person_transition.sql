-- int_person_transition: a person's status at one village in a quarter and in the quarter before.
-- Grain: one row per (quarter, village_code, person_id) counted at that village in the quarter or
-- in the previous one, for quarters whose previous quarter is in the data.
-- A person who moves leaves one village and enters another; the village totals then reconcile
-- exactly: this quarter = previous quarter + entered - left.
with pairs as (
    select quarter, previous_quarter from int_quarters where previous_quarter is not null
),
now as (
    select p.*, q.previous_quarter
    from int_person_quarter p
    join pairs q on q.quarter = p.quarter
),
before as (
    select p.*, q.quarter as next_quarter
    from int_person_quarter p
    join pairs q on q.previous_quarter = p.quarter
)
select
    coalesce(n.quarter, b.next_quarter) as quarter,
    coalesce(n.village_code, b.village_code) as village_code,
    coalesce(n.person_id, b.person_id) as person_id,
    coalesce(n.in_register, false) as in_register_now,
    coalesce(b.in_register, false) as in_register_before,
    coalesce(n.ministries >= 1, false) as reached_now,
    coalesce(b.ministries >= 1, false) as reached_before,
    coalesce(n.in_register and n.extreme_poor and n.ministries >= 1, false)
        as extreme_poor_reached_now,
    coalesce(b.in_register and b.extreme_poor and b.ministries >= 1, false)
        as extreme_poor_reached_before
from now n
full outer join before b
    on b.person_id = n.person_id
    and b.village_code = n.village_code
    and b.next_quarter = n.quarter
