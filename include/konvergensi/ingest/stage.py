"""Raw -> staging: read one archived delivery and write its typed, standardised Parquet batch."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from konvergensi.contracts import Contract
from konvergensi.ingest.archive import Delivery
from konvergensi.ingest.canonical import extra_columns, resolve_columns, standardise_chunk
from konvergensi.ingest.readers import ReadInfo, read_chunks
from konvergensi.periods import period_bounds
from konvergensi.staging_zone import batch_dir
from konvergensi.standardise import REFERENCE_VERSION


@dataclass
class StageResult:
    """What staging one delivery produced: where, how many rows, what it noticed."""

    source: str
    period: str
    batch_id: str
    file_name: str
    staged_path: str
    rows: int
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    column_map: dict[str, str]
    extra_columns: list[str] = field(default_factory=list)
    region_reference: str = REFERENCE_VERSION


def _lineage(frame: pd.DataFrame, contract: Contract, delivery: Delivery) -> pd.DataFrame:
    lineage = {
        "_source": contract.source,
        "_period": delivery.period,
        "_file_name": delivery.original_name,
        "_file_sha256": delivery.sha256,
        "_batch_id": delivery.batch_id,
        "_ingested_at": delivery.landed_at,
        "_region_reference": REFERENCE_VERSION,
    }
    for name, value in reversed(lineage.items()):
        frame.insert(0, name, pd.Series(value, index=frame.index, dtype="string"))
    return frame


def stage_delivery(contract: Contract, delivery: Delivery, staging_root: Path) -> StageResult:
    """Stage a delivery; re-staging the same delivery rewrites the same batch (idempotent)."""
    raw_path = Path(delivery.raw_path)
    _, period_end = period_bounds(delivery.period)
    target = batch_dir(staging_root, contract.source, delivery.period, delivery.batch_id)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    info = ReadInfo()
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    seen_ids: set[str] = set()
    rows = 0
    resolved: dict[str, str] = {}
    extras: list[str] = []
    try:
        for chunk in read_chunks(raw_path, contract, info):
            if writer is None:
                columns = list(chunk.columns)
                resolved = resolve_columns(contract, columns, delivery.original_name)
                extras = extra_columns(resolved, columns)
            frame = standardise_chunk(chunk, contract, resolved, extras, period_end)
            ids = frame["source_record_id"]
            repeat = ids.duplicated(keep="first") | ids.isin(seen_ids)
            seen_ids.update(ids.dropna().tolist())
            frame["_record_id_repeat"] = repeat.fillna(False).astype("bool")
            frame = _lineage(frame, contract, delivery)
            table = pa.Table.from_pandas(frame, preserve_index=False, schema=schema)
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(tmp / "staged.parquet", schema, compression="zstd")
            writer.write_table(table)
            rows += len(frame)
    finally:
        if writer is not None:
            writer.close()
    result = StageResult(
        source=contract.source,
        period=delivery.period,
        batch_id=delivery.batch_id,
        file_name=delivery.original_name,
        staged_path=str(target / "staged.parquet"),
        rows=rows,
        encoding=info.encoding,
        delimiter=info.delimiter,
        sheet=info.sheet,
        column_map=resolved,
        extra_columns=extras,
    )
    (tmp / "staged.json").write_text(json.dumps(asdict(result), indent=2))
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return result
