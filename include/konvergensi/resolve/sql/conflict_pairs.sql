-- conflict_pairs: for each held NIK, every record against the NIK's first record (by record
-- key, so that a pass over part of the register picks the same one), for review.
-- Grain: one row per record of a conflicting NIK except its first record.
with grouped as (
    select rid, first(rid order by record_key) over (partition by nik_valid) as anchor
    from features
    where nik_valid in (select nik from nik_conflicts)
)
select anchor as rid_l, rid as rid_r
from grouped
where rid <> anchor
