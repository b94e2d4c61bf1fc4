-- tier2_candidates: pairs of tier2_combos sharing a village and a birth date or a name, with
-- both sides' fields side by side, where one side holds a new record.
-- Grain: one row per combination pair (rep_l < rep_r).
with blocked as (
    -- an edge needs a new record on one side
    select l.rep as rep_l, r.rep as rep_r
    from tier2_combos l
    join tier2_combos r on l.village_code = r.village_code and l.dob = r.dob
    where l.rep < r.rep and (l.new_rids is not null or r.new_rids is not null)
    union
    -- a name alone blocks only birth dates with day and month swapped (tier2_edges.sql needs
    -- equal or swapped dates; equal ones are blocked above)
    select l.rep, r.rep
    from tier2_combos l
    join tier2_combos r on l.village_code = r.village_code and l.name_match = r.name_match
        and year(l.dob) * 10000 + day(l.dob) * 100 + month(l.dob)
            = year(r.dob) * 10000 + month(r.dob) * 100 + day(r.dob)
    where l.rep < r.rep and (l.new_rids is not null or r.new_rids is not null)
),
paired as (
    select
        l.rep as rep_l, r.rep as rep_r, l.new_rids as new_l, r.new_rids as new_r,
        l.nik_valid is null or l.nik_uses = 1 as weak_l,
        l.nik16 as nik_l, r.nik16 as nik_r, l.nik_uses as uses_l, r.nik_uses as uses_r,
        l.nik_valid is null or r.nik_valid is null as unusable,
        l.sex as sex_l, r.sex as sex_r, l.dob as dob_l, r.dob as dob_r,
        l.name_match as name_l, r.name_match as name_r,
        l.name_sorted as sorted_l, r.name_sorted as sorted_r
    from blocked b
    join tier2_combos l on l.rep = b.rep_l
    join tier2_combos r on r.rep = b.rep_r
)
select * from paired
