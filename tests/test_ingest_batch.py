"""Repeated record ids across the chunks of a big file, found with hashed, merged parts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from konvergensi.ingest.batch import SeenIds


@pytest.mark.parametrize("merge_limit", [30_000, 1 << 22])
def test_repeats_match_a_plain_set_over_many_chunks(monkeypatch, merge_limit):
    monkeypatch.setattr(SeenIds, "MERGE_LIMIT", merge_limit)
    rng = np.random.default_rng(7)
    seen_ids, plain, present = SeenIds(), set(), 0
    for _ in range(30):
        ids = [f"R{i:06d}" if i % 97 else None for i in rng.integers(0, 60_000, 5_000)]
        expected = []
        for record_id in ids:
            expected.append(record_id is not None and record_id in plain)
            if record_id is not None:
                plain.add(record_id)
                present += 1
        assert seen_ids.repeats(pd.Series(ids, dtype="str")).tolist() == expected
    sizes = [len(part) for part in seen_ids._parts]
    assert sum(sizes) == present  # one hash per present id, missing ids never match
    assert max(sizes) <= max(merge_limit, 5_000)
