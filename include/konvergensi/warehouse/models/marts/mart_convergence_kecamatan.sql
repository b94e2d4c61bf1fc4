-- mart_convergence_kecamatan: how the programmes converge on each kecamatan, per quarter, and the
-- change since the quarter before.
-- Grain: one row per (quarter, kecamatan_code) for every kecamatan of the regions in scope.
-- Every count is the sum of the kecamatan's villages (people are counted once, at their locus).
with totals as (
    select
        quarter,
        kecamatan_code,
        min(previous_quarter) as previous_quarter,
        cast(sum(columns(c.* exclude (
            quarter, previous_quarter, village_code, kecamatan_code, regency_code
        ))) as bigint)
    from int_convergence_village c
    group by quarter, kecamatan_code
),
names as (
    select distinct kecamatan_code, kecamatan_name, regency_code, regency_name, province_code
    from stg_villages
)
select
    t.quarter,
    t.kecamatan_code,
    n.kecamatan_name,
    n.regency_code,
    n.regency_name,
    n.province_code,
    t.previous_quarter,
    t.* exclude (quarter, kecamatan_code, previous_quarter)
from totals t
join names n on n.kecamatan_code = t.kecamatan_code
