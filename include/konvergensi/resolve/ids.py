"""Stable IDs: a new clustering inherits the IDs of the previous run.

Each previous ID goes to the cluster holding most of its records; a cluster that inherits
several IDs keeps the one with most records (a merge: the others are retired and redirect to
it); a cluster that inherits none gets a fresh ID derived from its first record's key (a new
entity, or a part split off another one). A cluster whose records did not change keeps its ID.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container

import numpy as np
import pandas as pd


def fresh_id(prefix: str, key: str, taken: Container[str]) -> str:
    """ID from a record key, salted until it differs from every ID ever issued."""
    salt = 0
    while True:
        text = key if salt == 0 else f"{key}#{salt}"
        candidate = prefix + hashlib.sha256(text.encode()).hexdigest()[:16]
        if candidate not in taken:
            return candidate
        salt += 1


def assign_ids(
    keys: np.ndarray,
    labels: np.ndarray,
    previous: np.ndarray,
    prefix: str,
    issued: Container[str],
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """ID per record and the events (merge / split / new) that the change from `previous` makes.

    `labels` are cluster labels in 0..n-1, each the index of the cluster's first record, whose
    key seeds a fresh ID; `previous` holds each record's ID from the last run
    (None for new records); `issued` holds every ID ever given out, so that a fresh ID never
    reuses a retired one. `weights` (default 1) is how many records each row stands for: an
    incremental pass lets a person's representative carry the records it does not load.
    Ties go to the smaller label, then the smaller ID, so the outcome does not depend on order.
    """
    n = len(labels)
    codes, names = pd.factorize(pd.Series(previous, dtype=object))
    known = codes >= 0
    weight = np.ones(n, dtype=np.int64) if weights is None else np.asarray(weights, np.int64)
    votes = (
        pd.DataFrame({"prev": codes[known], "label": labels[known], "n": weight[known]})
        .groupby(["prev", "label"], as_index=False)["n"]
        .sum()
    )
    votes["name"] = np.asarray(names, dtype=object)[votes["prev"].to_numpy()]
    votes = votes.sort_values(["prev", "n", "label"], ascending=[True, False, True])
    claims = votes.drop_duplicates("prev")  # each previous ID -> the cluster with most of it
    claims = claims.sort_values(["label", "n", "name"], ascending=[True, False, True])
    winners = claims.drop_duplicates("label")
    by_label = np.full(n, None, dtype=object)
    by_label[winners["label"].to_numpy()] = winners["name"].to_numpy()

    events = []
    retired = claims[~claims["prev"].isin(winners["prev"])]
    for name, label in zip(retired["name"], retired["label"], strict=True):
        events.append(("merge", name, by_label[label]))

    unnamed = np.unique(labels[by_label[labels] == None])  # noqa: E711 - object array
    if len(unnamed):
        split_from = votes.drop_duplicates("label").set_index("label")["name"]
        taken = set(by_label[by_label != None])  # noqa: E711
        for label in unnamed.tolist():
            new = fresh_id(prefix, keys[label], _Either(issued, taken))
            taken.add(new)
            by_label[label] = new
            source = split_from.get(label)
            events.append(("new", None, new) if source is None else ("split", source, new))
    return by_label[labels], pd.DataFrame(events, columns=["kind", "from_id", "to_id"])


class _Either:
    """Membership in either of two containers (no copy of a large registry)."""

    def __init__(self, first: Container[str], second: Container[str]) -> None:
        self.first, self.second = first, second

    def __contains__(self, item: object) -> bool:
        return item in self.first or item in self.second
