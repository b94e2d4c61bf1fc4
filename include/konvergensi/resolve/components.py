"""Connected components over record-to-record links (union-find, vectorised with numpy)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Label of each of n nodes: the smallest node index in its component."""
    parent = np.arange(n, dtype=np.int64)
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    while True:
        lo = np.minimum(parent[left], parent[right])
        changed = False
        for side in (left, right):
            roots = parent[side]
            update = lo < roots
            if update.any():
                np.minimum.at(parent, roots[update], lo[update])
                changed = True
        # path compression: point every node at its root
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        if not changed:
            return parent


def group_edges(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges that join every record to the first record sharing its key (missing keys skipped)."""
    codes = pd.factorize(pd.Series(keys, dtype=object))[0]
    index = np.flatnonzero(codes >= 0)
    first = pd.Series(index).groupby(codes[index]).transform("min").to_numpy(dtype=np.int64)
    return index.astype(np.int64), first
