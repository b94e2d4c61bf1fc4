"""Stable IDs: a new clustering inherits the IDs of the previous run.

Each previous ID goes to the cluster holding most of its records; a cluster that inherits
several IDs keeps the one with most records (a merge: the others are retired and redirect to
it); a cluster that inherits none gets a fresh ID derived from its first record's key (a new
entity, or a part split off another one). A cluster whose records did not change keeps its ID.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pandas as pd


def candidate_id(prefix: str, key: str, salt: int = 0) -> str:
    """A fresh ID from a record key; a salt gives another when that one was issued before."""
    text = key if salt == 0 else f"{key}#{salt}"
    return prefix + hashlib.sha256(text.encode()).hexdigest()[:16]


def assign_ids(
    keys: np.ndarray,
    labels: np.ndarray,
    previous: np.ndarray,
    prefix: str,
    issued_among: Callable[[list[str]], set[str]],
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """ID per record and the events (merge / split / new) that the change from `previous` makes.

    `labels` are cluster labels in 0..n-1, each the index of the cluster's first record, whose
    key seeds a fresh ID; `previous` holds each record's ID from the last run
    (None for new records); `issued_among` says which of some IDs were ever given out, so
    that a fresh ID never reuses a retired one. `weights` (default 1) is how many records each
    row stands for: an incremental pass lets a person's representative carry the records it
    does not load.
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
        wanted = [candidate_id(prefix, keys[label]) for label in unnamed.tolist()]
        issued = issued_among(wanted)  # one look-up for all, then one per (rare) clash
        for label, new in zip(unnamed.tolist(), wanted, strict=True):
            salt = 0
            while new in taken or new in issued:
                salt += 1
                new = candidate_id(prefix, keys[label], salt)
                issued |= issued_among([new])
            taken.add(new)
            by_label[label] = new
            source = split_from.get(label)
            events.append(("new", None, new) if source is None else ("split", source, new))
    return by_label[labels], pd.DataFrame(events, columns=["kind", "from_id", "to_id"])
