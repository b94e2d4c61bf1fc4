-- tier2_eligible: the records tier 2 may link in this pass: a usable 16-digit NIK (not a held
-- conflict) in a block (village with birth date or name) that holds a new record.
-- Grain: one row per record. Input: `features` (is_new marks the records to link) and
-- `nik_conflicts`. An incremental delta pass builds the same set against its register.
with usable as materialized (
    select rid, is_new, nik16, nik_valid, name_match, name_sorted, dob, sex, village_code
    from features
    where nik16 is not null and coalesce(nik_valid not in (select nik from nik_conflicts), true)
)
-- only the blocks a new record is in can yield an edge with a new record
select * from usable
where rid in (
    select u.rid from usable u
    semi join (select village_code, dob from usable where is_new) n
        on n.village_code = u.village_code and n.dob = u.dob
    union
    select u.rid from usable u
    semi join (select village_code, name_match from usable where is_new) n
        on n.village_code = u.village_code and n.name_match = u.name_match
)
