"""Deterministic tiers: records that share a valid NIK, or (without one) an exact name, birth
date and village, are one person; records that share a valid KK or register family are one
household. Probabilistic matching builds on these clusters (see issue 5)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from konvergensi.resolve.components import connected_components, group_edges

RECORD_KEY = ["_source", "_period", "_batch_id", "_row_number"]


def _keys(frame: pd.DataFrame, columns: list[str], where: pd.Series) -> np.ndarray:
    parts = frame[columns].astype("string")
    joined = parts.iloc[:, 0].str.cat([parts[c] for c in columns[1:]], sep="|")
    usable = where & parts.notna().all(axis=1)
    keys = joined.to_numpy(dtype=object, na_value=None)
    keys[~usable.to_numpy(dtype=bool)] = None
    return keys


def _cluster_ids(links: pd.DataFrame, label: str, prefix: str) -> pd.Series:
    """Cluster label -> id derived from the cluster's smallest record key."""
    smallest = links.groupby(label)["_record_key"].min()
    return smallest.map(lambda key: prefix + hashlib.sha256(key.encode()).hexdigest()[:16])


def resolve_records(records: pd.DataFrame) -> pd.DataFrame:
    """Link records to persons and households; one row per record with the tier that linked it."""
    frame = records.reset_index(drop=True)
    valid_nik = frame["nik_status"] == "valid"
    nik_keys = _keys(frame, ["nik"], valid_nik)
    exact_keys = _keys(
        frame, ["name_key", "birth_date", "village_code"], frame["birth_date"].notna()
    )
    edges = [group_edges(nik_keys), group_edges(exact_keys)]
    left = np.concatenate([e[0] for e in edges])
    right = np.concatenate([e[1] for e in edges])
    person_label = connected_components(len(frame), left, right)

    record_key = frame[RECORD_KEY].astype("string").agg("|".join, axis=1)
    links = pd.DataFrame({c: frame[c] for c in RECORD_KEY})
    links["_record_key"] = record_key
    links["_person_label"] = person_label
    # Person ids derive from the smallest member key: same clusters, same ids on every run.
    links["person_id"] = links["_person_label"].map(_cluster_ids(links, "_person_label", "P"))
    nik_link = pd.Series(nik_keys).notna()
    cluster_size = links.groupby("_person_label")["_record_key"].transform("size")
    links["match_tier"] = np.where(
        cluster_size == 1, "singleton", np.where(nik_link, "nik_exact", "name_dob_village_exact")
    )

    kk_keys = _keys(frame, ["kk"], frame["kk_status"] == "valid")
    family_keys = _keys(frame, ["_source", "family_id"], frame["family_id"].notna())
    household_edges = [group_edges(kk_keys), group_edges(family_keys)]
    # a person's records all belong to that person's household
    person_edges = group_edges(links["person_id"].to_numpy(dtype=object))
    hh_left = np.concatenate([e[0] for e in household_edges] + [person_edges[0]])
    hh_right = np.concatenate([e[1] for e in household_edges] + [person_edges[1]])
    household_label = connected_components(len(frame), hh_left, hh_right)
    links["_household_label"] = household_label
    links["household_id"] = links["_household_label"].map(
        _cluster_ids(links, "_household_label", "H")
    )
    return links.drop(columns=["_person_label", "_household_label", "_record_key"])
