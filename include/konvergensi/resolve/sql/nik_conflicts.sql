-- nik_conflicts: valid NIKs whose records describe two different people: the names strongly
-- disagree and so does the birth date, the village or the sex (a mistyped serial keeps the
-- birth date, so a shared NIK with another name in another village is not one person either;
-- nor is a man and a woman of different names, a wife using her husband's NIK, even where one
-- birth date is missing). Such a NIK is held for review instead of merged.
-- Grain: one row per conflicting NIK among the NIKs of new records.
with combos as (
    select distinct nik_valid as nik, given, name_sorted, dob, dob_placeholder, village_code, sex
    from features
    where nik_valid in (select nik_valid from features where is_new)
)
select distinct a.nik
from combos a
join combos b on a.nik = b.nik
where
    -- names: different first words and different overall (not a typo, order or extra clan)
    a.given <> b.given
    and jaro_winkler_similarity(a.given, b.given) < 0.85
    and jaro_winkler_similarity(a.name_sorted, b.name_sorted) < 0.85
    and (
        a.village_code <> b.village_code
        or a.sex <> b.sex
        -- birth dates: not equal and not a day-month swap; a 1 July / 31 December stand-in
        -- only disagrees on the year
        or (
            a.dob <> b.dob
            and not (month(a.dob) = day(b.dob) and day(a.dob) = month(b.dob)
                     and year(a.dob) = year(b.dob))
            and (not (a.dob_placeholder or b.dob_placeholder)
                 or abs(year(a.dob) - year(b.dob)) > 1)
        )
    )
