-- stg_links: the identity zone's links from accepted records to resolved persons and households.
-- Grain: one row per accepted source record (source, period, batch_id, row_number).
select
    _source as source,
    _period as period,
    _batch_id as batch_id,
    _row_number as row_number,
    person_id,
    household_id,
    match_tier
from src_links
