-- mart_intervention_regency: whom each intervention type reached in each regency, per quarter.
-- Grain: one row per (quarter, regency_code, intervention_type) for every regency in scope and
-- every intervention type of the programmes.
-- Every count is the sum of the regency's villages.
with totals as (
    select
        quarter,
        regency_code,
        intervention_type,
        cast(sum(columns(i.* exclude (
            quarter, village_code, kecamatan_code, regency_code, intervention_type
        ))) as bigint)
    from int_intervention_village i
    group by quarter, regency_code, intervention_type
),
names as (
    select distinct regency_code, regency_name, province_code
    from stg_villages
)
select
    t.quarter,
    t.regency_code,
    n.regency_name,
    n.province_code,
    t.intervention_type,
    t.* exclude (quarter, regency_code, intervention_type)
from totals t
join names n on n.regency_code = t.regency_code
