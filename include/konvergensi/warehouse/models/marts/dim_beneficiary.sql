-- dim_beneficiary: resolved persons under a keyed pseudonym; no names, no NIK, no KK.
-- Grain: one row per resolved person (beneficiary_key).
-- Locus and household are those of the person's latest quarter in the data; sex and birth date
-- are the values their records give most often (ties: lowest value), the birth date published
-- only as an age band at the end of the latest quarter.
with latest as (
    select person_id, max(quarter) as quarter
    from int_person_quarter
    group by person_id
),
history as (
    select
        person_id,
        min(quarter) as first_quarter,
        max(quarter) as last_quarter,
        count(*) as quarters_present,
        bool_or(in_register) as ever_in_register,
        bool_or(in_register and extreme_poor) as ever_extreme_poor,
        bool_or(ministries >= 1) as ever_reached
    from int_person_quarter
    group by person_id
),
records as (
    select person_id, count(*) as source_records, count(distinct source) as sources
    from int_records_resolved
    group by person_id
),
sex_votes as (
    select person_id, sex, count(*) as votes
    from int_records_resolved
    where sex is not null
    group by person_id, sex
),
sex as (
    select person_id, first(sex order by votes desc, sex) as sex
    from sex_votes
    group by person_id
),
birth_votes as (
    select person_id, cast(birth_date as date) as birth_date, count(*) as votes
    from int_records_resolved
    where birth_date is not null
    group by person_id, cast(birth_date as date)
),
age as (
    select
        b.person_id,
        date_sub('year', first(b.birth_date order by b.votes desc, b.birth_date), q.day) as years
    from birth_votes b
    cross join (select max(last_day) as day from int_quarters) q
    group by b.person_id, q.day
)
select
    k.beneficiary_key,
    hk.household_key,
    p.village_code,
    p.kecamatan_code,
    p.regency_code,
    p.province_code,
    s.sex,
    case
        when a.years is null then null
        when a.years < 18 then '0-17'
        when a.years < 30 then '18-29'
        when a.years < 45 then '30-44'
        when a.years < 60 then '45-59'
        else '60+'
    end as age_band,
    h.first_quarter,
    h.last_quarter,
    h.quarters_present,
    h.ever_in_register,
    h.ever_extreme_poor,
    h.ever_reached,
    r.source_records,
    r.sources
from latest l
join int_person_quarter p on p.person_id = l.person_id and p.quarter = l.quarter
join history h on h.person_id = l.person_id
join records r on r.person_id = l.person_id
left join sex s on s.person_id = l.person_id
left join age a on a.person_id = l.person_id
join stg_beneficiary_keys k on k.person_id = l.person_id
join stg_household_keys hk on hk.household_id = p.household_id
