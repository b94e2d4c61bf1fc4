"""Raw -> staging: read one archived delivery and write its typed, standardised Parquet batch.

Besides `staged.parquet` the batch holds `rejected.parquet` (records that could not be split
into columns, as sent, with the reason) and `staged.json`; every record of the file is in
exactly one of the two Parquet files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from itertools import chain
from pathlib import Path

from konvergensi.contracts import Contract
from konvergensi.ingest.archive import Delivery
from konvergensi.ingest.batch import BatchWriter
from konvergensi.ingest.canonical import extra_columns, resolve_columns, standardise_chunk
from konvergensi.ingest.crosswalk import load_crosswalk
from konvergensi.ingest.errors import IngestError, UnreadableFileError
from konvergensi.ingest.overlap import read_ahead
from konvergensi.ingest.readers import ReadInfo, read_chunks
from konvergensi.periods import period_bounds
from konvergensi.staging_zone import batch_dir
from konvergensi.standardise import REFERENCE_VERSION

# Bump when the staged layout or standardisation changes, so batches staged before are redone
# (by `stage`; `validate` refuses a batch of another format). 4: native numeric cells read as
# numbers, `stage_format` recorded in staged.json.
STAGE_FORMAT = 4


@dataclass
class StageResult:
    """What staging one delivery produced: where, how many records, what it noticed.

    rows_read = rows (staged) + rows_rejected; blank rows hold no value and are only counted.
    """

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
    rows_read: int = 0
    rows_rejected: int = 0
    blank_rows: int = 0
    rejected_path: str = ""
    first_data_row: int = 0
    renamed_columns: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stage_key: str = ""
    stage_format: int = 0  # STAGE_FORMAT of the code that staged it (0: before 4, not recorded)
    reused: bool = False


def stage_key(contract: Contract) -> str:
    """What a staged batch depends on besides the file's bytes: contract, references, format."""
    digest = hashlib.sha256(f"{STAGE_FORMAT}|{REFERENCE_VERSION}|".encode())
    for path in (contract.path, contract.crosswalk_path()):
        if path is not None and path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def reusable_stage(
    contract: Contract, delivery: Delivery, staging_root: Path
) -> StageResult | None:
    """The batch already staged from these bytes under the same contract, if there is one."""
    folder = batch_dir(staging_root, contract.source, delivery.period, delivery.batch_id)
    meta = folder / "staged.json"
    if not (meta.exists() and (folder / "staged.parquet").exists()):
        return None
    found = StageResult(**json.loads(meta.read_text()))
    if found.stage_key != stage_key(contract):
        return None
    found.reused = True
    return found


def _write_batch(
    contract: Contract, delivery: Delivery, folder: Path, info: ReadInfo
) -> tuple[BatchWriter, dict[str, str], list[str]]:
    """Stream the file into folder/staged.parquet and folder/rejected.parquet."""
    _, period_end = period_bounds(delivery.period)
    crosswalk = load_crosswalk(contract)
    reference = REFERENCE_VERSION + (f"; {crosswalk.label}" if crosswalk else "")
    chunks = read_ahead(
        read_chunks(Path(delivery.raw_path), contract, info, delivery.original_name)
    )
    try:
        first = next(chunks, None)
        columns = [] if first is None else list(first.columns)
        resolved = resolve_columns(contract, columns, delivery.original_name)
        extras = extra_columns(resolved, columns)
        batch = BatchWriter(folder, delivery, reference)
        try:
            for text in chain([first], chunks) if first is not None else ():
                frame = standardise_chunk(text, contract, resolved, extras, period_end, crosswalk)
                batch.write(frame, info.take_rejected())
            batch.write(None, info.take_rejected())
        finally:
            batch.close()
    finally:
        chunks.close()
    return batch, resolved, extras


def stage_delivery(contract: Contract, delivery: Delivery, staging_root: Path) -> StageResult:
    """Stage a delivery; re-staging the same delivery rewrites the same batch (idempotent)."""
    target = batch_dir(staging_root, contract.source, delivery.period, delivery.batch_id)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    info = ReadInfo()
    try:
        batch, resolved, extras = _write_batch(contract, delivery, tmp, info)
        staged, rejected = batch.staged, batch.rejected
        if staged + rejected == 0:
            raise UnreadableFileError(
                f"{delivery.original_name}: the file has a header but no data rows; ask the "
                "ministry whether the export was cut short"
            )
        if info.last_row_number - info.blank_rows != staged + rejected:
            raise IngestError(
                f"{delivery.original_name}: {info.last_row_number} rows below the header, "
                f"{info.blank_rows} blank, but {staged} staged + {rejected} rejected; nothing "
                "was published: report this as a bug"
            )
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result = StageResult(
        source=contract.source,
        period=delivery.period,
        batch_id=delivery.batch_id,
        file_name=delivery.original_name,
        staged_path=str(target / "staged.parquet"),
        rows=staged,
        encoding=info.encoding,
        delimiter=info.delimiter,
        sheet=info.sheet,
        column_map=resolved,
        extra_columns=extras,
        region_reference=batch.lineage["_region_reference"],
        rows_read=staged + rejected,
        rows_rejected=rejected,
        blank_rows=info.blank_rows,
        rejected_path=str(target / "rejected.parquet"),
        first_data_row=info.first_data_row,
        renamed_columns=info.renamed_columns,
        notes=info.notes,
        stage_key=stage_key(contract),
        stage_format=STAGE_FORMAT,
    )
    (tmp / "staged.json").write_text(json.dumps(asdict(result), indent=2))
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return result
