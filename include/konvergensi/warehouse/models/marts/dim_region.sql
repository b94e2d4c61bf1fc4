-- dim_region: the Kemendagri hierarchy province > regency > kecamatan > village.
-- Grain: one row per village of every regency the warehouse has data for.
select
    village_code,
    village_name,
    village_type,
    kecamatan_code,
    kecamatan_name,
    regency_code,
    regency_name,
    province_code,
    province_name,
    reference_version
from stg_villages
