-- stg_household_keys: the keyed pseudonym (HMAC) of every resolved household.
-- Grain: one row per resolved household (household_id).
select household_id, household_key
from src_household_keys
