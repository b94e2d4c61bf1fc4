-- tier2_combos: distinct (16-digit NIK, name, birth date, sex, village) combinations of the
-- records tier 2 may link: usable 16-digit NIKs in a block (village with birth date or name)
-- that holds a new record, with each NIK's use count from tier2_uses.
-- Grain: one row per combination (rep = its smallest rid).
with usable as materialized (
    select rid, is_new, nik16, nik_valid, name_match, name_sorted, dob, sex, village_code
    from features
    where nik16 is not null and coalesce(nik_valid not in (select nik from nik_conflicts), true)
),
eligible as materialized (
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
),
combos as (
    -- name_sorted follows from name_match
    select
        e.nik16, e.nik_valid, e.name_match, any_value(e.name_sorted) as name_sorted, e.dob,
        e.sex, e.village_code, u.nik_uses,
        min(e.rid) as rep,
        list(e.rid) filter (where e.is_new) as new_rids,
        count(*) as records
    from eligible e
    join tier2_uses u using (nik16)
    group by e.nik16, e.nik_valid, e.name_match, e.dob, e.sex, e.village_code, u.nik_uses
)
select * from combos
