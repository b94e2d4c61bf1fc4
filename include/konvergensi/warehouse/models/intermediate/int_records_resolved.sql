-- int_records_resolved: accepted records with their resolved person, household and programme.
-- Grain: one row per accepted source record. Restricted: not exported to the analytics zone.
select
    r.*,
    l.person_id,
    l.household_id,
    l.match_tier,
    p.ministry,
    p.programme,
    p.intervention_type,
    p.role
from stg_records r
join src_links l
    on l._source = r.source
    and l._period = r.period
    and l._batch_id = r.batch_id
    and l._row_number = r.row_number
join ref_programmes p on p.source = r.source
