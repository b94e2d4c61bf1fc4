"""The probabilistic tier: a Fellegi-Sunter model in splink 5 over the `features` table.

Person evidence only: normalised name (word order, initials, old spellings, clan names by their
share in the village), birth date (day-month swaps; placeholder dates weak), sex and locus. KK
and register family are household evidence: they find candidate pairs (blocking) but never add
weight, because relatives share them (a model that counts them links relatives).

Training needs no clerical labels: m-probabilities come from record pairs that share a valid
NIK (deterministic tier), u-probabilities from random pairs, the prior from the NIK clusters.
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb

from konvergensi.resolve.sql import quiet_connection

MATCH_KEY = "0"
LABEL_PAIRS = 50_000  # NIK-linked pairs used to estimate m
U_PAIRS = 1_000_000  # random pairs used to estimate u
SEED = 20261129


def _level(label: str, condition: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": condition, "label_for_charts": label, **extra}


def _null(column: str) -> dict[str, Any]:
    return _level("missing", f"{column}_l IS NULL OR {column}_r IS NULL", is_null_level=True)


def one_edit_apart(left: str, right: str) -> str:
    """SQL: Damerau-Levenshtein distance <= 1, with cheap necessary tests first.

    One edit changes the length by at most one and leaves the first two or the last two
    characters of a string of four or more alone; the CASE skips the costly distance for
    the many pairs that fail these tests (most random pairs).
    """
    return (
        f"CASE WHEN abs(length({left}) - length({right})) > 1 THEN false"
        f" WHEN least(length({left}), length({right})) >= 4"
        f" AND left({left}, 2) <> left({right}, 2)"
        f" AND right({left}, 2) <> right({right}, 2) THEN false"
        f" ELSE damerau_levenshtein({left}, {right}) <= 1 END"
    )


def name_comparison() -> dict[str, Any]:
    """Name levels, strongest first; a shared clan name counts less where it is common."""
    return {
        "output_column_name": "name",
        "comparison_description": "normalised name",
        "comparison_levels": [
            _null("name_match"),
            _level(
                "exact",
                "name_match_l = name_match_r",
                tf_adjustment_column="name_match",
                tf_adjustment_weight=1.0,
            ),
            _level("same words, other order", "name_sorted_l = name_sorted_r"),
            _level("one typo", one_edit_apart("name_sorted_l", "name_sorted_r")),
            _level(
                "one name holds the other",
                "list_has_all(tokens_l, tokens_r) OR list_has_all(tokens_r, tokens_l)",
            ),
            _level(
                "similar",
                "jaro_winkler_similarity(name_sorted_l, name_sorted_r) >= 0.92",
            ),
            _level(
                "same first name, rest similar",
                "given_l = given_r"
                " AND jaro_winkler_similarity(name_sorted_l, name_sorted_r) >= 0.8",
            ),
            _level("same rare clan only", "clan_l = clan_r AND clan_share_l < 0.1"),
            _level("same common clan only", "clan_l = clan_r"),
            _level("different", "ELSE"),
        ],
    }


def names_differ(gamma: str = "gamma_name") -> str:
    """SQL over a scored pair: its names agree on a clan name at most.

    Twins and brothers share birth date, village and clan; a model trained on few records can
    weigh those above a different given name. Such a pair goes to review, never linked.
    """
    levels = [
        level["label_for_charts"]
        for level in name_comparison()["comparison_levels"]
        if not level.get("is_null_level")
    ]
    weakest = len(levels) - 1 - levels.index("same rare clan only")  # splink's gamma of it
    return f"{gamma} between 0 and {weakest}"


def dob_comparison() -> dict[str, Any]:
    """Birth date levels: exact, exact but a 1 July / 31 December stand-in, swapped, close."""
    same_year = "year(dob_l) = year(dob_r)"
    return {
        "output_column_name": "dob",
        "comparison_description": "birth date",
        "comparison_levels": [
            _null("dob"),
            _level("exact", "dob_l = dob_r AND NOT (dob_placeholder_l OR dob_placeholder_r)"),
            _level("exact, placeholder date", "dob_l = dob_r"),
            _level(
                "day and month swapped",
                f"{same_year} AND month(dob_l) = day(dob_r) AND day(dob_l) = month(dob_r)",
            ),
            _level(
                "one part differs",
                f"({same_year} AND (month(dob_l) = month(dob_r) OR day(dob_l) = day(dob_r)))"
                " OR (month(dob_l) = month(dob_r) AND day(dob_l) = day(dob_r)"
                " AND abs(year(dob_l) - year(dob_r)) <= 10)",
            ),
            _level("same year", same_year),
            _level("different", "ELSE"),
        ],
    }


def sex_comparison() -> dict[str, Any]:
    """Sex agrees or not."""
    return {
        "output_column_name": "sex",
        "comparison_description": "sex",
        "comparison_levels": [
            _null("sex"),
            _level("same", "sex_l = sex_r"),
            _level("different", "ELSE"),
        ],
    }


def locus_comparison() -> dict[str, Any]:
    """Same village, same kecamatan, or elsewhere."""
    return {
        "output_column_name": "locus",
        "comparison_description": "village or kecamatan",
        "comparison_levels": [
            _null("village_code"),
            _level("same village", "village_code_l = village_code_r"),
            _level("same kecamatan", "kecamatan_code_l = kecamatan_code_r"),
            _level("elsewhere", "ELSE"),
        ],
    }


COMPARISONS = ("name", "dob", "sex", "locus")
# what the comparisons read: a record's derived columns, and its clan's share in the village
RECORD_COMPARED = (
    "name_match",
    "name_sorted",
    "tokens",
    "given",
    "clan",
    "dob",
    "dob_placeholder",
    "sex",
    "village_code",
    "kecamatan_code",
)
COMPARED = (*RECORD_COMPARED, "clan_share")
WEIGHT_COLUMNS = (*(f"mw_{c}" for c in COMPARISONS), "mw_tf_adj_name")


def settings(prior: float) -> dict[str, Any]:
    """Untrained splink settings for the person model."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "rid",
        "probability_two_random_records_match": prior,
        "comparisons": [
            name_comparison(),
            dob_comparison(),
            sex_comparison(),
            locus_comparison(),
        ],
        "blocking_rules_to_generate_predictions": [],
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": False,
    }


def _linker(con: duckdb.DuckDBPyConnection, model: dict[str, Any], table: str = "features"):
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(quiet_connection(con))
    records = db_api.register(table, table_name="__konvergensi_records")
    return db_api, Linker(records, model, log_level=logging.WARNING)


def prior_from_clusters(con: duckdb.DuckDBPyConnection) -> float:
    """Share of all record pairs that are matches, from the NIK clusters."""
    pairs, n = con.execute(
        """
        select sum(n * (n - 1) / 2), (select count(*) from features)
        from (select count(*) as n from features where nik_valid is not null group by nik_valid)
        """
    ).fetchall()[0]
    total = n * (n - 1) / 2
    return float(min(max((pairs or 1) / max(total, 1), 1e-9), 0.5))


def train(con: duckdb.DuckDBPyConnection, label_pairs: str) -> dict[str, Any]:
    """Estimate u from random pairs and m from `label_pairs` (rid_l, rid_r true matches)."""
    db_api, linker = _linker(con, settings(prior_from_clusters(con)))
    con.execute(
        f"""
        create or replace table __konvergensi_labels as
        select rid_l, rid_r from {label_pairs}
        using sample reservoir({LABEL_PAIRS} rows) repeatable ({SEED % 1000})
        """
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=SEED)
    labels = db_api.register("__konvergensi_labels", table_name="__konvergensi_label_pairs")
    linker.training.estimate_m_from_pairwise_labels(labels)
    return linker.misc.save_model_to_json()


PAIRS = "__konvergensi_pairs"  # (rid_l, rid_r) to score, in the compiled query
PAIR_RECORDS = "__konvergensi_pair_records"  # their records with tf_name_match


def compile_predict(model: dict[str, Any]) -> str:
    """Splink's own prediction SQL for `model` as one query over PAIRS and PAIR_RECORDS.

    Splink writes it (comparison levels, match weights with the name frequency adjustment,
    probabilities); compiled once per model version, so a run scores without setting splink up.
    It reads splink's settings internals, so tests compare it with splink's `predict`. Built
    as splink builds it for training, which keeps each comparison's level (gamma_name is
    read by names_differ).
    """
    from splink.internals.dialects import SplinkDialect
    from splink.internals.predict import predict_from_comparison_vectors_sqls
    from splink.internals.settings_creator import SettingsCreator

    spec = SettingsCreator.from_path_or_dict(model).get_settings("duckdb")
    predict = predict_from_comparison_vectors_sqls(
        unique_id_input_columns=spec.column_info_settings.unique_id_input_columns,
        core_model_settings=spec.core_model_settings,
        sql_dialect=SplinkDialect.from_string(spec._sql_dialect_str),
        retain_intermediate_calculation_columns=True,
        training_mode=True,
    )
    steps = [
        (
            "__splink__df_blocked",
            f"select {', '.join(spec._columns_to_select_for_blocking)}, '{MATCH_KEY}' as match_key"
            f" from {PAIRS} b join {PAIR_RECORDS} l on l.rid = b.rid_l"
            f" join {PAIR_RECORDS} r on r.rid = b.rid_r",
        ),
        (
            "__splink__df_comparison_vectors",
            f"select {', '.join(spec._columns_to_select_for_comparison_vector_values)}"
            " from __splink__df_blocked",
        ),
        *((step["output_table_name"], step["sql"]) for step in predict),
    ]
    ctes = ",\n".join(f"{name} as (\n{text}\n)" for name, text in steps)
    return (
        f"with {ctes}\nselect rid_l, rid_r, match_weight, match_probability, "
        f"{', '.join(WEIGHT_COLUMNS)}, gamma_name from {steps[-1][0]}"
    )


def score(
    con: duckdb.DuckDBPyConnection,
    predict: str,
    pairs: str,
    names: str = "features",
    records: str = "features",
) -> None:
    """Score every pair in table `pairs` (rid_l, rid_r) of `records`; creates table `scored`.

    `predict` is the model's compiled query (compile_predict). It sees only the records in
    `pairs`, with name frequencies taken from `names` (every record of the register), so an
    incremental run's cost follows its new pairs.
    """
    con.execute(
        f"""
        create or replace table {PAIR_RECORDS} as
        with frequencies as (
            select name_match, count(*) / sum(count(*)) over () as tf_name_match
            from {names} where name_match is not null group by name_match
        )
        select s.rid, {", ".join(f"s.{c}" for c in COMPARED)}, f.tf_name_match
        from {records} s left join frequencies f using (name_match)
        where s.rid in (select rid_l from {pairs} union select rid_r from {pairs})
        """
    )
    con.execute(f"create or replace view {PAIRS} as select rid_l, rid_r from {pairs}")
    con.execute(f"create or replace table scored as {predict}")
    con.execute(f"drop view {PAIRS}")
    con.execute(f"drop table {PAIR_RECORDS}")
