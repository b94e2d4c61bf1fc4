"""The bytes inside a delivered file: unpack gzip or a one-file zip, tell what the content really
is (a PDF or an image renamed .csv is refused at once), and detect a text file's encoding."""

from __future__ import annotations

import codecs
import gzip
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from konvergensi.ingest.errors import UnreadableFileError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_SCAN_BYTES = 1 << 20  # the encoding check reads the file in blocks of this size


def _telling_utf8() -> re.Pattern[str]:
    """Characters whose UTF-8 form makes a file UTF-8: all but those a Windows-1252 file makes by
    accident.

    cp1252 text makes a valid two-byte sequence when an upper-case accented letter (0xC0-0xDF)
    stands before a punctuation or symbol byte (0x80-0xBF): `Ë–` (0xCB 0x96) is U+02D6. Such a
    character is telling only when real text uses it: Latin-1's no-break space, symbols (°, ×)
    and letters, combining accents (decomposed é), and letters of Latin, Greek, Cyrillic, Arabic
    and other scripts, but not the IPA and modifier letters (U+0250-U+02FF) nor controls or
    rare signs. Every three- or four-byte sequence (curly quotes, emoji) is telling.
    """
    ranges = [(0x00A0, 0x00FF), (0x0300, 0x036F)]
    for code in range(0x0100, 0x0800):
        if not 0x0250 <= code <= 0x02FF and unicodedata.category(chr(code)).startswith("L"):
            if ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    ranges.append((0x0800, 0x10FFFF))
    return re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]")


_TELLING_UTF8 = _telling_utf8()

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


def _system_file(name: str) -> bool:
    """Files an operating system adds to a zip by itself: macOS Finder's `__MACOSX/` folder and
    `._name` resource forks, `.DS_Store`, Windows' `Thumbs.db` and `desktop.ini`."""
    parts = name.replace("\\", "/").split("/")
    base = parts[-1]
    return (
        parts[0] == "__MACOSX"
        or base.startswith("._")
        or base.lower() in {".ds_store", "thumbs.db", "desktop.ini"}
    )


def _zip_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [m for m in archive.infolist() if not m.is_dir() and not _system_file(m.filename)]
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


class _Utf8Scan:
    """Whether text is UTF-8, block by block: does it hold UTF-8 that a Windows-1252 file would
    not hold by accident (`telling`), and where is its first byte that is not UTF-8 (offset in
    the content, 1-based line)?"""

    def __init__(self) -> None:
        self.telling = False
        self.first_invalid: tuple[int, int, int] | None = None  # offset, line, byte value
        self._offset = 0  # of the pending block's first byte
        self._lines = 1  # line of that byte
        self._carry = b""  # a multi-byte sequence cut by the block boundary

    def feed(self, block: bytes, final: bool = False) -> None:
        """Scan the next block (the last one with final=True)."""
        data, self._carry = self._carry + block, b""
        if not final:
            cut = _incomplete_tail(data)
            data, self._carry = data[: len(data) - cut], data[len(data) - cut :]
        try:
            self._note(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            self._mixed_block(data, exc.start)
        self._lines += data.count(b"\n")
        self._offset += len(data)

    def _note(self, text: str) -> None:
        if not self.telling and not text.isascii():
            self.telling = _TELLING_UTF8.search(text) is not None

    def _mixed_block(self, data: bytes, first_bad: int) -> None:
        if self.first_invalid is None:
            line = self._lines + data.count(b"\n", 0, first_bad)
            self.first_invalid = (self._offset + first_bad, line, data[first_bad])
        # Without its invalid bytes, what is not ASCII was a valid multi-byte sequence.
        self._note(data.decode("utf-8", errors="ignore"))


def _incomplete_tail(data: bytes) -> int:
    """How many bytes at the end of data start a UTF-8 sequence that the next block finishes."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return 0
        if byte >= 0xC0:  # a lead byte: 2, 3 or 4 bytes long
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back if length > back else 0
    return 0


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else Windows-1252.

    The whole file is checked for valid UTF-8, not just its head: a single accented name near
    the end of a cp1252 file would otherwise be misread. A file with bytes that are not UTF-8 is
    Windows-1252 unless it also holds telling UTF-8 (an accented letter such as `é`, a no-break
    space, `°`, `×`, a curly quote, an emoji; see _telling_utf8): then it is mixed (part saved
    by another program), no single encoding reads it, and it is refused with the line and byte
    offset of the first bad byte. A valid sequence that cp1252 text makes by accident (`Ë–`)
    does not make it mixed.
    """
    with open_payload(path) as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
        scan = _Utf8Scan()
        block = head
        while block:
            scan.feed(block)
            if scan.telling and scan.first_invalid:
                break
            block = handle.read(_SCAN_BYTES)
        else:
            scan.feed(b"", final=True)
    if scan.first_invalid is None:
        return "utf-8"
    if not scan.telling:
        return "cp1252"
    offset, line, byte = scan.first_invalid
    raise UnreadableFileError(
        f"mixed encodings: the file is UTF-8 but line {line} has a byte that is not UTF-8 "
        f"(0x{byte:02X} at byte offset {offset}), as when records saved by a Windows program "
        "(Windows-1252) are appended; no single encoding reads every name correctly. Ask the "
        "ministry to re-export the whole file as UTF-8, or, if the file has one known encoding, "
        "set format.encoding in the contract"
    )


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
