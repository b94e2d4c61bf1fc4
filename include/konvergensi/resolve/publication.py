"""Make a run's identity-zone outputs current together, or not at all.

A run writes each output beside its place (`<name>.next`); `commit` then records the moves,
the files to remove and the manifest in a journal (publishing.json), makes the moves, writes
manifest.json and removes the journal. A run that dies before its journal leaves the previous
outputs whole, and the next run relinks from them (the state then names a run the manifest
does not); one that dies after it is finished by `recover` when the next run starts. Whatever
writes the zone (a run, a review import, a retrain) holds `exclusive` and recovers first.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

JOURNAL = "publishing.json"
LOCK = ".lock"
MANIFEST = "manifest.json"
SUFFIX = ".next"


@contextmanager
def exclusive(root: Path) -> Iterator[None]:
    """Hold the identity zone alone (an flock, waited for): one writer at a time."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def staged(path: Path) -> Path:
    """Where an output is written before it becomes current."""
    return path.with_name(path.name + SUFFIX)


@dataclass
class Publication:
    """The outputs a run has written beside their places, and the files it makes obsolete."""

    root: Path
    outputs: list[Path] = field(default_factory=list)
    obsolete: list[Path] = field(default_factory=list)

    def stage(self, path: Path) -> Path:
        """The file to write for output `path` (its folder made)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.outputs.append(path)
        return staged(path)

    def parquet(self, frame: pd.DataFrame, path: Path) -> None:
        """Write `frame` as output `path`."""
        frame.to_parquet(self.stage(path), index=False, compression="zstd")


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def commit(publication: Publication, manifest: dict) -> None:
    """Make every staged output current and write the manifest (journaled, see module doc)."""
    root = publication.root
    journal = {
        "outputs": [str(p.relative_to(root)) for p in publication.outputs],
        "obsolete": [str(p.relative_to(root)) for p in publication.obsolete],
        "manifest": manifest,
    }
    _write_atomically(root / JOURNAL, json.dumps(journal, default=str))
    _carry_out(root, journal)


def _carry_out(root: Path, journal: dict) -> None:
    """Do what a journal says; safe to repeat after a crash part-way."""
    for name in journal["outputs"]:
        path = root / name
        if staged(path).exists():
            staged(path).replace(path)
    for name in journal["obsolete"]:
        (root / name).unlink(missing_ok=True)
    _write_atomically(root / MANIFEST, json.dumps(journal["manifest"], indent=2, default=str))
    (root / JOURNAL).unlink()


def recover(root: Path) -> bool:
    """Finish a publication a crash interrupted, and drop outputs no journal names.

    Returns whether a journal was finished.
    """
    journal = root / JOURNAL
    finished = journal.exists()
    if finished:
        _carry_out(root, json.loads(journal.read_text()))
    for leftover in root.rglob(f"*{SUFFIX}"):
        leftover.unlink()
    return finished
