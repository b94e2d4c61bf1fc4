-- dim_region: the Kemendagri hierarchy province > regency > kecamatan > village.
-- Grain: one row per village of every regency the warehouse has data for.
-- Columns as in stg_villages (listed in schema.yaml).
select * from stg_villages
