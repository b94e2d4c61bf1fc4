-- tier2_uses: how many usable records (a 16-digit NIK that is not a held conflict) carry each
-- 16-digit NIK; tier 2 takes two well-used valid NIKs one digit apart for twins, not a typo.
-- Grain: one row per 16-digit NIK. Input: view `nik_records` (nik16, nik_valid) over every
-- record of the register (an incremental pass's scope holds only some), and `nik_conflicts`.
select nik16, count(*) as nik_uses
from nik_records
where nik16 is not null and coalesce(nik_valid not in (select nik from nik_conflicts), true)
group by nik16
