-- tier1_edges: every new record with a valid, unconflicted NIK joined to its NIK's anchor (an
-- existing record if the NIK is known, else its first new record).
-- Grain: one row per new record that shares its NIK with another record.
with grouped as (
    select
        rid,
        is_new,
        first(rid order by is_new, rid) over (partition by nik_valid) as anchor
    from features
    where nik_valid in (select nik_valid from features where is_new)
      and nik_valid not in (select nik from nik_conflicts)
)
select rid as rid_l, anchor as rid_r
from grouped
where is_new and rid <> anchor
