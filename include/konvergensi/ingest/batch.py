"""Write one staged batch: standardised chunks to `staged.parquet` (with lineage and the
repeated-record-id flag) and rejected records to `rejected.parquet`.

Parquet encoding runs in a writer thread (Arrow releases the GIL) while the next chunk is
standardised; at most one chunk waits to be written.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from konvergensi.ingest.archive import Delivery
from konvergensi.ingest.frames import RejectedRecord

REJECTED_SCHEMA = pa.schema(
    [
        ("_source", pa.string()),
        ("_period", pa.string()),
        ("_file_name", pa.string()),
        ("_batch_id", pa.string()),
        ("_row_number", pa.int64()),
        ("reason", pa.string()),
        ("text", pa.string()),
    ]
)


class SeenIds:
    """Record ids of earlier chunks as sorted 64-bit hashes: 8 bytes per distinct id, not a
    Python string each (a collision, odds ~n^2/2^65, would flag one id as repeated).

    Parts are merged while the newest is at least as big as the one before (up to MERGE_LIMIT
    hashes, so a merge never needs more than 2 x 32 MB extra): few parts to look ids up in.
    """

    MERGE_LIMIT = 1 << 22

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []

    def repeats(self, ids: pd.Series) -> np.ndarray:
        """True for ids already seen earlier in this chunk or in an earlier chunk."""
        present = ids.notna().to_numpy()
        hashes = pd.util.hash_array(ids.to_numpy(dtype=object, na_value=""), categorize=False)
        order = np.argsort(hashes, kind="stable")  # sorted lookups stay in cache: ~7x faster
        ordered = hashes[order]
        found = np.zeros(len(ids), dtype=bool)
        for part in self._parts:
            pos = np.minimum(np.searchsorted(part, ordered), len(part) - 1)
            found |= part[pos] == ordered
        earlier = np.empty_like(found)
        earlier[order] = found
        within = ids.duplicated(keep="first").to_numpy()
        self._parts.append(ordered[present[order]])
        while (
            len(self._parts) > 1
            and len(self._parts[-2]) <= len(self._parts[-1])
            and len(self._parts[-2]) + len(self._parts[-1]) <= self.MERGE_LIMIT
        ):
            merged = np.concatenate([self._parts.pop(-2), self._parts.pop()])
            merged.sort(kind="stable")  # in place: radix sort of two sorted runs
            self._parts.append(merged)
        return present & (earlier | within)


class BatchWriter:
    """Streams one delivery's staged and rejected records into a batch folder."""

    def __init__(self, folder: Path, delivery: Delivery, reference: str) -> None:
        self.folder = folder
        self.delivery = delivery
        self.lineage = {
            "_source": delivery.source,
            "_period": delivery.period,
            "_file_name": delivery.original_name,
            "_file_sha256": delivery.sha256,
            "_batch_id": delivery.batch_id,
            "_ingested_at": delivery.landed_at,
            "_region_reference": reference,
        }
        self.staged = 0
        self.rejected = 0
        self._seen = SeenIds()
        self._staged: pq.ParquetWriter | None = None
        self._rejects = pq.ParquetWriter(
            folder / "rejected.parquet", REJECTED_SCHEMA, compression="zstd"
        )
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="konvergensi-write")
        self._pending: Future[None] | None = None

    def write(self, frame: pd.DataFrame | None, rejected: list[RejectedRecord]) -> None:
        """Queue a standardised chunk (if any) and records rejected so far; waits for the last."""
        self._wait()
        self._pending = self._thread.submit(self._write, frame, rejected)

    def close(self) -> None:
        """Finish the queued write and close both files (also after an error)."""
        try:
            self._wait()
        finally:
            self._thread.shutdown()
            self._rejects.close()
            if self._staged is not None:
                self._staged.close()

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _write(self, frame: pd.DataFrame | None, rejected: list[RejectedRecord]) -> None:
        self._rejects.write_table(self._rejected_table(rejected))
        self.rejected += len(rejected)
        if frame is None:
            return
        frame["_record_id_repeat"] = self._seen.repeats(frame["source_record_id"])
        for name, value in reversed(self.lineage.items()):
            frame.insert(0, name, pd.Series(value, index=frame.index, dtype="string"))
        schema = self._staged.schema if self._staged is not None else None
        table = pa.Table.from_pandas(frame, preserve_index=False, schema=schema)
        if self._staged is None:
            path = self.folder / "staged.parquet"
            self._staged = pq.ParquetWriter(path, table.schema, compression="zstd")
        self._staged.write_table(table)
        self.staged += len(frame)

    def _rejected_table(self, records: list[RejectedRecord]) -> pa.Table:
        n = len(records)
        return pa.table(
            {
                **{k: [self.lineage[k]] * n for k in ("_source", "_period", "_file_name")},
                "_batch_id": [self.delivery.batch_id] * n,
                "_row_number": [r.row_number for r in records],
                "reason": [r.reason for r in records],
                "text": [r.text for r in records],
            },
            schema=REJECTED_SCHEMA,
        )
