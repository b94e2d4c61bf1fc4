-- stg_villages: the Kemendagri villages of every regency the data names, with their hierarchy.
-- Grain: one row per village (village_code) of the regencies in scope.
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
from ref_villages
