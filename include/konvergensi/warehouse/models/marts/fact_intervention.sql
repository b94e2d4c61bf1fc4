-- fact_intervention: what each programme delivered to whom, where and when.
-- Grain: one row per accepted intervention record (source, period, batch_id, row_number).
select
    k.beneficiary_key,
    h.household_key,
    r.source,
    r.ministry,
    r.intervention_type,
    r.village_code,
    r.period,
    r.quarter,
    r.intervention_date,
    r.amount,
    r.quantity,
    r.match_tier,
    r.batch_id,
    r.row_number
from int_records_resolved r
join src_person_keys k on k.person_id = r.person_id
join src_household_keys h on h.household_id = r.household_id
where r.role = 'intervention'
