-- mart_intervention_village: whom each intervention type reached in each village, per quarter.
-- Grain: one row per (quarter, village_code, intervention_type) for every village of the regions
-- in scope and every intervention type of the programmes.
select
    i.quarter,
    i.village_code,
    v.village_name,
    i.kecamatan_code,
    i.regency_code,
    v.province_code,
    i.intervention_type,
    i.* exclude (quarter, village_code, kecamatan_code, regency_code, intervention_type)
from int_intervention_village i
join stg_villages v on v.village_code = i.village_code
