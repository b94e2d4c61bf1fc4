-- stg_records: every accepted source record of the current batches, canonical columns only.
-- Grain: one row per accepted source record (_source, _period, _batch_id, _row_number).
select
    _source as source,
    _period as period,
    case
        when _period like '%-Q%' then _period
        else substr(_period, 1, 4) || '-Q' || ((cast(substr(_period, 6, 2) as integer) - 1) // 3 + 1)
    end as quarter,
    _batch_id as batch_id,
    _row_number as row_number,
    _file_name as file_name,
    source_record_id,
    village_code,
    kecamatan_code,
    sex,
    cast(birth_date as date) as birth_date,
    cast(intervention_date as date) as intervention_date,
    amount,
    quantity,
    family_id,
    welfare_decile,
    extreme_poor,
    nik_status,
    _warnings as warnings
from src_records
