-- stg_records: every accepted source record of the current batches, with its reporting quarter.
-- Grain: one row per accepted source record (source, period, batch_id, row_number).
select
    _source as source,
    _period as period,
    case
        when _period like '%-Q%' then _period
        else substr(_period, 1, 4) || '-Q' || ((cast(substr(_period, 6, 2) as integer) - 1) // 3 + 1)
    end as quarter,
    _batch_id as batch_id,
    _row_number as row_number,
    village_code,
    substr(village_code, 1, 8) as kecamatan_code,
    substr(village_code, 1, 5) as regency_code,
    substr(village_code, 1, 2) as province_code,
    sex,
    birth_date,
    intervention_date,
    amount,
    quantity,
    welfare_decile,
    extreme_poor
from src_records
