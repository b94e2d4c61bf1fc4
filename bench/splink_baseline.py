"""A plain splink 5 deduplication, configured the way splink's own examples configure one.

Jaro-Winkler on the name as written, the date-of-birth and Levenshtein comparisons on birth
date and NIK, exact sex and village; blocking on NIK, name, and birth date + village; the
documented training sequence (prior from deterministic rules, u by random sampling, EM on two
blocking rules) and connected components at 0.95. No Indonesian normalisation.
"""

from __future__ import annotations

import logging

import duckdb
import numpy as np

SELECT = """
    select
        concat_ws('|', _source, _period, _batch_id, cast(_row_number as varchar)) as record_key,
        lower(trim(full_name)) as full_name,
        strftime(birth_date, '%Y-%m-%d') as dob,
        nik,
        sex,
        village_code
    from read_parquet({files}, union_by_name = true)
"""


def baseline_clusters(files: list[str], u_pairs: float = 1e7) -> tuple[np.ndarray, np.ndarray]:
    """(record keys, cluster labels) from the plain splink model over the accepted records."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    con = duckdb.connect()
    listed = "[" + ", ".join(f"'{f}'" for f in sorted(files)) + "]"
    con.execute(
        f"create table records as select row_number() over (order by record_key) as unique_id, "
        f"* from ({SELECT.format(files=listed)})"
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("full_name", [0.9, 0.7]),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.LevenshteinAtThresholds("nik", [1, 2]),
            cl.ExactMatch("sex"),
            cl.ExactMatch("village_code").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("nik"),
            block_on("full_name"),
            block_on("dob", "village_code"),
        ],
    )
    db_api = DuckDBAPI(con.cursor())
    linker = Linker(db_api.register("records"), settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nik", "dob"), block_on("full_name", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("nik"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    frame = con.execute(
        f"select r.record_key, c.cluster_id from records r "
        f"join {clusters.physical_name} c using (unique_id) order by r.record_key"
    ).df()
    con.close()
    labels = frame["cluster_id"].astype(str).to_numpy()
    return frame["record_key"].to_numpy(), labels
