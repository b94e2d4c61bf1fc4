-- mart_convergence_village: how the programmes converge on each village, per quarter, and the
-- change since the quarter before.
-- Grain: one row per (quarter, village_code) for every village of the regions in scope.
-- People and households are counted once, at their locus (see int_person_quarter).
select
    c.quarter,
    c.village_code,
    v.village_name,
    c.kecamatan_code,
    v.kecamatan_name,
    c.regency_code,
    v.province_code,
    c.previous_quarter,
    c.* exclude (quarter, village_code, kecamatan_code, regency_code, previous_quarter)
from int_convergence_village c
join stg_villages v on v.village_code = c.village_code
