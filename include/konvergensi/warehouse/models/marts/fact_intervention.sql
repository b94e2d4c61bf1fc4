-- fact_intervention: what each programme delivered to whom, where and when.
-- Grain: one row per accepted intervention record (source, period, batch_id, row_number).
-- source, period, batch_id and row_number point at the record in the restricted staging zone.
select
    r.quarter,
    r.period,
    r.village_code,
    r.kecamatan_code,
    r.regency_code,
    r.province_code,
    r.source,
    r.ministry,
    r.intervention_type,
    k.beneficiary_key,
    hk.household_key,
    cast(r.intervention_date as date) as intervention_date,
    r.amount,
    r.quantity,
    r.match_tier,
    r.batch_id,
    r.row_number
from int_records_resolved r
join int_person_quarter p on p.person_id = r.person_id and p.quarter = r.quarter
join stg_beneficiary_keys k on k.person_id = r.person_id
join stg_household_keys hk on hk.household_id = p.household_id
where r.role = 'intervention'
