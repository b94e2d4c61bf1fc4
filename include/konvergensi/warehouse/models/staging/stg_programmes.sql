-- stg_programmes: the programmes whose extracts feed the warehouse, from the source contracts.
-- Grain: one row per source (ministry programme or target register).
select
    p.source,
    p.ministry,
    p.programme,
    p.intervention_type,
    p.role,
    p.cadence,
    coalesce(p.intervention_type in (select intervention_type from ref_strategy_types), false)
        as convergence_strategy
from ref_programmes p
