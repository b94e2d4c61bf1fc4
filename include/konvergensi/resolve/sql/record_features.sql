-- record_features: what matching compares, derived from the accepted records.
-- Grain: one row per accepted record (rid and the clan's share in the village are added by
-- features.py, because an incremental run computes them for new records only).
-- Input: view `accepted` over accepted.parquet files.
with base as (
    select
        _source,
        _period,
        _batch_id,
        _row_number,
        concat_ws('|', _source, _period, _batch_id, cast(_row_number as varchar)) as record_key,
        -- the ministry's own ID: a corrected re-delivery's record inherits its earlier IDs by it
        source_record_id,
        _source || '|' || _period as source_period,
        case when nik_status = 'valid' then nik end as nik_valid,
        -- a 16-digit NIK that may be one edit from the true one (typo, transposition, or the
        -- 16th digit Excel replaced with 0)
        case
            when nik_status in ('valid', 'invalid') and regexp_full_match(nik, '[0-9]{16}') then nik
            when nik_status = 'damaged' and regexp_full_match(nik, '[0-9]{16}\.0') then left(nik, 16)
        end as nik16,
        -- names: initials dropped, old j for y folded, words kept in order and sorted
        list_filter(string_split(replace(name_key, 'Y', 'J'), ' '), lambda t: length(t) > 1) as words,
        cast(birth_date as date) as dob,
        coalesce(birth_date_placeholder, false) as dob_placeholder,
        sex,
        village_code,
        kecamatan_code,
        case when kk_status = 'valid' then kk end as kk_valid,
        case when family_id is not null then _source || '|' || family_id end as family_key
    from accepted
),
named as (
    select
        * exclude (words),
        case when len(words) > 0 then words end as tokens
    from base
),
shaped as (
    select
        *,
        array_to_string(tokens, ' ') as name_match,
        array_to_string(list_sort(tokens), ' ') as name_sorted,
        tokens[1] as given,
        case when len(tokens) > 1 then tokens[-1] end as clan
    from named
)
select * from shaped
