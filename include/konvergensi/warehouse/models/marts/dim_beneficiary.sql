-- dim_beneficiary: resolved persons under a keyed pseudonym; no names, no NIK, no KK.
-- Grain: one row per resolved person (beneficiary_key).
select
    k.beneficiary_key,
    h.household_key,
    any_value(r.sex) as sex,
    min(year(r.birth_date)) as birth_year,
    bool_or(r.role = 'target_register') as ever_in_register,
    count(*) as source_records,
    count(distinct r.source) as sources
from int_records_resolved r
join src_person_keys k on k.person_id = r.person_id
join src_household_keys h on h.household_id = r.household_id
group by k.beneficiary_key, h.household_key
