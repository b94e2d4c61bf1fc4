-- mart_intervention_kecamatan: whom each intervention type reached in each kecamatan, per quarter.
-- Grain: one row per (quarter, kecamatan_code, intervention_type) for every kecamatan of the
-- regions in scope and every intervention type of the programmes.
-- Every count is the sum of the kecamatan's villages.
with totals as (
    select
        quarter,
        kecamatan_code,
        intervention_type,
        cast(sum(columns(i.* exclude (
            quarter, village_code, kecamatan_code, regency_code, intervention_type
        ))) as bigint)
    from int_intervention_village i
    group by quarter, kecamatan_code, intervention_type
),
names as (
    select distinct kecamatan_code, kecamatan_name, regency_code, province_code
    from stg_villages
)
select
    t.quarter,
    t.kecamatan_code,
    n.kecamatan_name,
    n.regency_code,
    n.province_code,
    t.intervention_type,
    t.* exclude (quarter, kecamatan_code, intervention_type)
from totals t
join names n on n.kecamatan_code = t.kecamatan_code
