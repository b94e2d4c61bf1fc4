"""The bytes inside a delivered file: unpack gzip or a one-file zip, tell what the content really
is (a PDF or an image renamed .csv is refused at once), and detect a text file's encoding."""

from __future__ import annotations

import codecs
import gzip
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from konvergensi.ingest.errors import UnreadableFileError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_NOT_TEXT = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"{\\rtf", "an RTF (Word) document"),
    (OLE_MAGIC, "an Office 97-2003 file (.xls/.doc) or a password-protected Office file"),
    (ZIP_MAGIC, "a zip-based Office file (.xlsx/.docx)"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)


def compression(path: Path) -> str | None:
    """`gzip` or `zip` when the delivered file is a compressed wrapper, else None.

    A `.zip` name is needed for zip: an .xlsx is a zip archive too, but is read as a workbook.
    """
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic[:2] == b"\x1f\x8b":
        return "gzip"
    if magic == ZIP_MAGIC and path.suffix.lower() == ".zip":
        return "zip"
    return None


def _zip_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) != 1:
        raise UnreadableFileError(
            f"zip archive holds {len(members)} files; deliver exactly one extract per archive"
        )
    if members[0].flag_bits & 0x1:
        raise UnreadableFileError(
            "zip archive is password-protected; ask the ministry for an unencrypted "
            "file (send the password separately only if it cannot be avoided)"
        )
    return members[0]


@contextmanager
def open_payload(path: Path) -> Iterator[IO[bytes]]:
    """Open a delivered file for reading, transparently unpacking gzip or a one-file zip."""
    kind = compression(path)
    if kind == "gzip":
        with gzip.open(path, "rb") as handle:
            yield handle
    elif kind == "zip":
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise UnreadableFileError(
                f"zip archive is damaged or truncated ({exc}); ask the ministry to resend it"
            ) from exc
        with archive, archive.open(_zip_member(archive)) as handle:
            yield handle
    else:
        with path.open("rb") as handle:
            yield handle


def read_head(path: Path, size: int = 1 << 16) -> bytes:
    """The first bytes of the (unpacked) content."""
    with open_payload(path) as handle:
        return handle.read(size)


def not_text(head: bytes) -> str | None:
    """What a file that should be text really is (`a PDF document`, ...), or None if text."""
    for magic, what in _NOT_TEXT:
        if head.startswith(magic):
            return what
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return None
    if b"\x00" in head:
        return "binary data"
    return None


def looks_like_html(head: bytes) -> bool:
    """An HTML page, as web systems produce when they 'export to Excel'."""
    start = head.lstrip(codecs.BOM_UTF8).lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml"))


def ole_is_encrypted(content: bytes) -> bool:
    """True when an OLE container holds an `EncryptedPackage`: a password-protected .xlsx."""
    return content.startswith(OLE_MAGIC) and _ENCRYPTED_PACKAGE in content


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else Windows-1252.

    The whole file is checked for valid UTF-8, not just its head: a single accented name near
    the end of a cp1252 file would otherwise be misread.
    """
    with open_payload(path) as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
        decoder = codecs.getincrementaldecoder("utf-8")()
        block = head
        try:
            while block:
                decoder.decode(block)
                block = handle.read(1 << 20)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


class TailTracking:
    """A read-only stream that remembers the last bytes it returned (was the file cut mid-row?)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.tail = b""
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        """Read like the wrapped stream, remembering the last four bytes."""
        data = self._raw.read(size)
        if data:
            self.tail = (self.tail + data)[-4:]
        return data

    def ends_with_newline(self, encoding: str) -> bool:
        """True when the text read so far ends with a line end (in the file's encoding)."""
        return self.tail.decode(encoding, errors="ignore").endswith(("\n", "\r"))

    def readable(self) -> bool:
        """Always readable."""
        return True

    def seekable(self) -> bool:
        """Never seekable: readers must stream."""
        return False

    def close(self) -> None:
        """Mark closed (the wrapped stream is closed by its owner)."""
        self.closed = True
