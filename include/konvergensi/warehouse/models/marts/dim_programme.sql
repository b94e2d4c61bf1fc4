-- dim_programme: the programmes whose extracts feed the warehouse.
-- Grain: one row per source (ministry programme or target register).
select source, ministry, programme, intervention_type, role, cadence, convergence_strategy
from stg_programmes
