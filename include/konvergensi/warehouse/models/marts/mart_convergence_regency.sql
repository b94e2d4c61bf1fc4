-- mart_convergence_regency: how the programmes converge on each regency, per quarter, and the
-- change since the quarter before.
-- Grain: one row per (quarter, regency_code) for every regency in scope.
-- Every count is the sum of the regency's villages (people are counted once, at their locus).
with totals as (
    select
        quarter,
        regency_code,
        min(previous_quarter) as previous_quarter,
        cast(sum(columns(c.* exclude (
            quarter, previous_quarter, village_code, kecamatan_code, regency_code
        ))) as bigint)
    from int_convergence_village c
    group by quarter, regency_code
),
names as (
    select distinct regency_code, regency_name, province_code, province_name
    from stg_villages
)
select
    t.quarter,
    t.regency_code,
    n.regency_name,
    n.province_code,
    n.province_name,
    t.previous_quarter,
    t.* exclude (quarter, regency_code, previous_quarter)
from totals t
join names n on n.regency_code = t.regency_code
