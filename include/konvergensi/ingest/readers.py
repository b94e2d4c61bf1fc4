"""Read a delivered file as text, in bounded chunks, whatever its type.

Every value comes back as a string (or missing): no float ever touches an ID. Each chunk carries
`_row_number`, the record's number in the file (1 = first record below the header); records the
reader could not split into columns are collected in `ReadInfo.rejected` with their reason.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.ingest.csv_reader import read_csv_chunks
from konvergensi.ingest.errors import UnreadableFileError
from konvergensi.ingest.excel import read_excel_chunks
from konvergensi.ingest.frames import CHUNK_ROWS, ROW_NUMBER, ReadInfo, RejectedRecord
from konvergensi.ingest.json_reader import read_json_chunks, read_ndjson_chunks

__all__ = ["CHUNK_ROWS", "ROW_NUMBER", "ReadInfo", "RejectedRecord", "read_chunks"]

_READERS: dict[str, Callable[[Path, Contract, ReadInfo], Iterator[pd.DataFrame]]] = {
    "csv": read_csv_chunks,
    "xlsx": read_excel_chunks,
    "xls": read_excel_chunks,
    "json": read_json_chunks,
    "ndjson": read_ndjson_chunks,
}


def read_chunks(
    path: Path, contract: Contract, info: ReadInfo, file_name: str | None = None
) -> Iterator[pd.DataFrame]:
    """Yield the file's records as text DataFrames of at most CHUNK_ROWS rows.

    Errors name `file_name` (the name the file was delivered under), not the archive path.
    """
    name = file_name or path.name
    try:
        if not path.exists() or path.stat().st_size == 0:
            raise UnreadableFileError("file is empty; ask the ministry to resend it")
        yield from _READERS[contract.format.type](path, contract, info)
    except UnreadableFileError as exc:
        raise UnreadableFileError(f"{name}: {exc}") from exc
    except (EOFError, zlib.error, gzip.BadGzipFile, zipfile.BadZipFile) as exc:
        raise UnreadableFileError(
            f"{name}: the compressed file is truncated or damaged ({exc}); ask the "
            "ministry to resend it"
        ) from exc
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            f"{name}: not valid {info.encoding} text ({exc.reason} at byte {exc.start}); "
            "set format.encoding in the contract or ask the ministry to export as UTF-8"
        ) from exc
