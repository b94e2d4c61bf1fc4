-- tier2_combos: distinct (16-digit NIK, name, birth date, sex, village) combinations of the
-- records tier 2 may link (tier2_eligible), with each NIK's use count from tier2_uses.
-- Grain: one row per combination (rep = its smallest rid).
with combos as (
    -- name_sorted follows from name_match
    select
        e.nik16, e.nik_valid, e.name_match, any_value(e.name_sorted) as name_sorted, e.dob,
        e.sex, e.village_code, u.nik_uses,
        min(e.rid) as rep,
        list(e.rid) filter (where e.is_new) as new_rids,
        count(*) as records
    from tier2_eligible e
    join tier2_uses u using (nik16)
    group by e.nik16, e.nik_valid, e.name_match, e.dob, e.sex, e.village_code, u.nik_uses
)
select * from combos
