-- stg_beneficiary_keys: the keyed pseudonym (HMAC) of every resolved person.
-- Grain: one row per resolved person (person_id).
select person_id, beneficiary_key
from src_person_keys
