"""Errors that fail one file with a message an operator can act on."""

from __future__ import annotations


class IngestError(Exception):
    """A delivered file cannot be ingested; the message names the file, the problem and the fix."""


class SchemaDriftError(IngestError):
    """The file's columns no longer match what its contract maps."""


class UnreadableFileError(IngestError):
    """The file is empty, truncated, encrypted or not a table."""
