-- int_records_resolved: accepted records with their resolved person, household and programme.
-- Grain: one row per accepted source record (source, period, batch_id, row_number).
select
    r.*,
    l.person_id,
    l.household_id,
    l.match_tier,
    p.ministry,
    p.programme,
    p.intervention_type,
    p.role,
    p.convergence_strategy
from stg_records r
join stg_links l
    on l.source = r.source
    and l.period = r.period
    and l.batch_id = r.batch_id
    and l.row_number = r.row_number
join stg_programmes p on p.source = r.source
