"""Households: records joined through a valid KK, a register family, or a shared person.

A KK number changes when a family splits, so households are also joined through their members:
every record of one person belongs to that person's household, whatever KK it carries.
"""

from __future__ import annotations

import duckdb
import numpy as np

from konvergensi.resolve.components import connected_components, group_edges


def household_labels(con: duckdb.DuckDBPyConnection, person_labels: np.ndarray) -> np.ndarray:
    """Connected components over KK, register-family and person edges (one label per rid)."""
    keys = con.execute("select kk_valid, family_key from features order by rid").df()
    n = len(person_labels)
    edges = [
        group_edges(keys["kk_valid"].to_numpy(dtype=object, na_value=None)),
        group_edges(keys["family_key"].to_numpy(dtype=object, na_value=None)),
        (np.arange(n, dtype=np.int64), person_labels.astype(np.int64)),
    ]
    left = np.concatenate([e[0] for e in edges])
    right = np.concatenate([e[1] for e in edges])
    return connected_components(n, left, right)
