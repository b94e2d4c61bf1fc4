"""Write an extract in its source's native shape: CSV (delimiter, encoding), XLSX (title rows above
the header, named sheet), JSON array or NDJSON. IDs are always text; output is byte-reproducible."""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from konvergensi.synthetic.extracts import Extract
from konvergensi.synthetic.formatting import stable_pick

FIXED_TIME = datetime(2026, 1, 1, 0, 0, 0)  # XLSX properties and zip entries: reproducible bytes
WINDOWS_ENCODINGS = {"cp1252", "windows-1252", "utf-8-sig"}
XLSX_CHUNK = 20_000  # rows serialised at a time


def title_lines(extract: Extract, region: str) -> list[str]:
    """The title/notes rows above the header (`format.header_row - 1` of them, last one blank)."""
    c = extract.contract
    n = c.format.header_row - 1
    if n <= 0:
        return []
    what = "DATA" if c.role == "target_register" else "DAFTAR PENERIMA"
    candidates = [
        f"{what} {c.programme.upper()}",
        f"Periode: {extract.period}",
        c.ministry,
        f"Wilayah: {region}",
        f"Jumlah baris: {len(extract)}",
        "Sumber: data contoh yang dibangkitkan (bukan data orang sebenarnya)",
        "Catatan: data pribadi, dilindungi UU 27/2022 tentang Pelindungan Data Pribadi",
        "Kode wilayah: Kemendagri",
    ]
    lines = candidates[: max(1, n - 1)] if n > 1 else candidates[:1]
    return lines + [""] * (n - len(lines))


def _rows(extract: Extract):
    return zip(*extract.columns, strict=True)


def write_csv(extract: Extract, path: Path, region: str) -> None:
    """Delimited text in the source's delimiter and delivered encoding."""
    c = extract.contract
    encoding = c.synthetic.delivered_encoding
    delimiter = c.format.delimiter
    if delimiter == "auto":
        delimiter = stable_pick(c.source, [";", ","])
    newline = "\r\n" if encoding.lower() in WINDOWS_ENCODINGS else "\n"
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator=newline)
        for line in title_lines(extract, region):
            writer.writerow([line] if line else [])
        writer.writerow(extract.header)
        writer.writerows(_rows(extract))


def _json_rows(extract: Extract):
    header = extract.header
    for row in _rows(extract):
        yield json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False)


def write_json(extract: Extract, path: Path) -> None:
    """A JSON array of objects, one object per line."""
    with path.open("w", encoding=extract.contract.synthetic.delivered_encoding) as fh:
        fh.write("[\n")
        first = True
        for line in _json_rows(extract):
            fh.write(line if first else ",\n" + line)
            first = False
        fh.write("\n]\n")


def write_ndjson(extract: Extract, path: Path) -> None:
    """One JSON object per line."""
    with path.open("w", encoding=extract.contract.synthetic.delivered_encoding) as fh:
        for line in _json_rows(extract):
            fh.write(line + "\n")


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry FIXED_TIME (equal content -> equal bytes), and which
    streams the data rows into the (single) worksheet part as openpyxl hands it over."""

    def __init__(self, *args, sheet_rows: Callable[[IO[bytes]], None], **kwargs):
        super().__init__(*args, **kwargs)
        self.sheet_rows = sheet_rows

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):  # type: ignore[override]
        name = getattr(zinfo_or_arcname, "filename", zinfo_or_arcname)
        super().writestr(self._info(name), data)

    def write(self, filename, arcname=None, *args, **kwargs):  # type: ignore[override]
        data = Path(filename).read_bytes()  # openpyxl's part: title rows and header only
        with self.open(self._info(arcname), "w", force_zip64=True) as dst:
            if not arcname.startswith("xl/worksheets/"):
                dst.write(data)
                return
            cut = data.rindex(b"</sheetData>")
            dst.write(data[:cut])
            self.sheet_rows(dst)
            dst.write(data[cut:])


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _xml_text(value: str) -> str:
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f"<t{space}>{text}</t>"


def _cells(values, letter: str, first_row: int) -> list[str]:
    """Cell XML for one column chunk: str -> inline string (text, never a number), numbers ->
    number cells (an Excel-mangled NIK arrives here as a float), None/'' -> no cell."""
    out = []
    for row, v in enumerate(values, first_row):
        if v is None or v == "":
            out.append("")
        elif isinstance(v, str):
            out.append(f'<c r="{letter}{row}" t="inlineStr"><is>{_xml_text(v)}</is></c>')
        elif isinstance(v, float):
            out.append(f'<c r="{letter}{row}" t="n"><v>{v:.16g}</v></c>')
        else:
            out.append(f'<c r="{letter}{row}" t="n"><v>{int(v)}</v></c>')
    return out


def _stream_rows(extract: Extract, first_row: int) -> Callable[[IO[bytes]], None]:
    """Writes the data rows as worksheet XML, in chunks (fast: no per-cell objects)."""
    letters = [_column_letter(i) for i in range(len(extract.columns))]

    def write(dst: IO[bytes]) -> None:
        n = len(extract)
        for lo in range(0, n, XLSX_CHUNK):
            hi = min(n, lo + XLSX_CHUNK)
            cols = [
                _cells(col[lo:hi], letter, first_row + lo)
                for col, letter in zip(extract.columns, letters, strict=True)
            ]
            rows = (
                f'<row r="{first_row + lo + i}">{"".join(cells)}</row>'
                for i, cells in enumerate(zip(*cols, strict=True))
            )
            dst.write("".join(rows).encode("utf-8"))

    return write


def write_xlsx(extract: Extract, path: Path, region: str) -> None:
    """An .xlsx with title rows above the header on the source's sheet.

    openpyxl (write-only mode) writes the workbook package, title rows and header; the data rows
    are streamed into the same worksheet part by `_stream_rows`, because openpyxl's per-cell
    serialisation (about 120k cells/s without lxml) would dominate a million-row sample.
    """
    c = extract.contract
    wb = Workbook(write_only=True)
    sheet = c.format.sheet if isinstance(c.format.sheet, str) else "Sheet1"
    ws = wb.create_sheet(sheet)
    titles = title_lines(extract, region)
    for line in titles:
        ws.append([line or None])
    ws.append(extract.header)
    wb.properties.creator = c.ministry
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    rows = _stream_rows(extract, len(titles) + 2)
    with _FixedTimeZip(
        path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, sheet_rows=rows
    ) as archive:
        ExcelWriter(wb, archive).save()


def write_extract(extract: Extract, landing_root: Path, region: str) -> Path:
    """Write one extract to `<landing_root>/<source>/<landing name>` and return the path."""
    c = extract.contract
    folder = landing_root / c.source
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / extract.file_name
    kind = c.format.type
    if kind == "csv":
        write_csv(extract, path, region)
    elif kind == "xlsx":
        write_xlsx(extract, path, region)
    elif kind == "json":
        write_json(extract, path)
    elif kind == "ndjson":
        write_ndjson(extract, path)
    else:
        raise NotImplementedError(f"{c.source}: the generator cannot write {kind!r} files")
    return path
