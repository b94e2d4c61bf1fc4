-- evidence: what each considered pair agreed on, next to its tier, outcome and model scores.
-- Grain: one row per considered record pair (linked, refused or sent to review) of this run.
-- Input: table `edges` (rid_l, rid_r, tier, status, reason, match_weight, match_probability,
-- mw_* per comparison) and `features`.
select
    l.record_key as record_key_l,
    r.record_key as record_key_r,
    e.tier::varchar as tier,
    e.status::varchar as status,
    e.reason::varchar as reason,
    -- typed, as the deterministic tiers have no scores
    e.match_weight::double as match_weight,
    e.match_probability::double as match_probability,
    e.mw_name::double as mw_name,
    e.mw_tf_adj_name::double as mw_tf_adj_name,
    e.mw_dob::double as mw_dob,
    e.mw_sex::double as mw_sex,
    e.mw_locus::double as mw_locus,
    case
        when l.name_match is null or r.name_match is null then 'missing'
        when l.name_match = r.name_match then 'exact'
        when l.name_sorted = r.name_sorted then 'same words, other order'
        when damerau_levenshtein(l.name_sorted, r.name_sorted) <= 1 then 'one typo'
        when list_has_all(l.tokens, r.tokens) or list_has_all(r.tokens, l.tokens)
            then 'one name holds the other'
        when jaro_winkler_similarity(l.name_sorted, r.name_sorted) >= 0.92 then 'similar'
        when l.given = r.given then 'same first name'
        when l.clan = r.clan then 'same clan name only'
        else 'different'
    end as name,
    case
        when l.dob is null or r.dob is null then 'missing'
        when l.dob = r.dob and (l.dob_placeholder or r.dob_placeholder) then 'exact (placeholder)'
        when l.dob = r.dob then 'exact'
        when month(l.dob) = day(r.dob) and day(l.dob) = month(r.dob)
            and year(l.dob) = year(r.dob) then 'day and month swapped'
        else 'different'
    end as birth_date,
    case
        when l.sex is null or r.sex is null then 'missing'
        when l.sex = r.sex then 'same'
        else 'different'
    end as sex,
    case
        when l.village_code = r.village_code then 'same village'
        when l.kecamatan_code = r.kecamatan_code then 'same kecamatan'
        else 'elsewhere'
    end as locus,
    case
        when l.nik16 is null or r.nik16 is null then 'missing'
        when l.nik16 = r.nik16 then 'same'
        when damerau_levenshtein(l.nik16, r.nik16) = 1 then 'one edit apart'
        else 'different'
    end as nik,
    case
        when l.kk_valid is null or r.kk_valid is null then 'missing'
        when l.kk_valid = r.kk_valid then 'same'
        else 'different'
    end as kk
from edges e
join features l on l.rid = e.rid_l
join features r on r.rid = e.rid_r
