-- tier2_edges: records whose 16-digit NIKs are one edit apart (typo, transposition, or the 16th
-- digit Excel turned into 0) with agreeing name, birth date, sex and village, from
-- tier2_candidates; plus records that repeat the same unusable NIK with the same fields.
-- Grain: one row per (rid_l, rid_r) edge; at least one side is a new record.
with near as (
    select rep_l, rep_r, new_l, new_r, weak_l
    from tier2_candidates
    where
        nik_l <> nik_r
        and damerau_levenshtein(nik_l, nik_r) = 1
        -- two well-used valid NIKs one digit apart are more likely twins than a typo
        and (uses_l = 1 or uses_r = 1 or unusable)
        and coalesce(sex_l = sex_r, true)
        and (dob_l = dob_r or (month(dob_l) = day(dob_r) and day(dob_l) = month(dob_r)
                               and year(dob_l) = year(dob_r)))
        and (name_l = name_r
             or sorted_l = sorted_r
             or damerau_levenshtein(sorted_l, sorted_r) <= 2
             or jaro_winkler_similarity(sorted_l, sorted_r) >= 0.95)
),
same_unusable as (
    -- the same invalid or damaged NIK repeated with the same name, birth date, sex, village
    select unnest(new_rids) as rid_l, rep as rid_r
    from tier2_combos
    where nik_valid is null and records > 1
)
select rid_l, rid_r from same_unusable where rid_l <> rid_r
union
-- the mistyped side's new records join the other side; a new record on the other side joins
-- the mistyped side's first record (so each link is made once, from a new record)
select unnest(case when weak_l then new_l else new_r end) as rid_l,
       case when weak_l then rep_r else rep_l end as rid_r
from near
union
select list_min(case when weak_l then new_r else new_l end) as rid_l,
       case when weak_l then rep_l else rep_r end as rid_r
from near
where len(case when weak_l then new_r else new_l end) > 0
