-- tier2_eligible: the records tier 2 may link in this pass: a usable 16-digit NIK (not a held
-- conflict) in a block (village with birth date or name) that holds a new record.
-- Grain: one row per record. Input: views `tier2_new` (the records to link) and `tier2_old`
-- (the other records of the pass; a delta pass: the register), and `nik_conflicts`.
with new as materialized (
    select *, true as is_new from tier2_new
    where nik16 is not null and coalesce(nik_valid not in (select nik from nik_conflicts), true)
)
select * from new
union all
-- only the blocks a new record is in can yield an edge with a new record
select *, false from tier2_old o
where nik16 is not null and coalesce(nik_valid not in (select nik from nik_conflicts), true)
  and (exists (select 1 from new n where n.village_code = o.village_code and n.dob = o.dob)
       or exists (select 1 from new n
                  where n.village_code = o.village_code and n.name_match = o.name_match))
