"""A run that dies while publishing leaves the identity zone whole (publication.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from konvergensi.resolve import publication, registry
from konvergensi.resolve.publication import JOURNAL, MANIFEST
from konvergensi.resolve.registry import follow, read_registry
from konvergensi.resolve.review import export_queue, import_decisions, read_queue
from konvergensi.resolve.run import resolve_files
from tests.resolve_cases import OTHER_VILLAGE, install_model, person, write_batch
from tests.test_resolve_tiers import nik

FIRST = [
    person("Yohanes Benu", "1980-03-12", "L", nik(12, 3, 1980, 1)),
    person("Petrus Selan", "1966-11-30", "L"),
]
# the same Petrus Selan in another village: a pair for review, which a reviewer calls the same
SECOND = [person("Petrus Selan", "1966-11-30", "L", village=OTHER_VILLAGE)]


def outputs(identity: Path) -> dict:
    """What a reader of the identity zone sees, without run ids and timings."""
    links = pd.read_parquet(identity / "links.parquet").set_index("record_key")
    persons = read_registry(identity, "person").set_index("id")
    evidence = pd.read_parquet(identity / "evidence")
    return {
        "links": links[["person_id", "household_id", "match_tier"]].sort_index(),
        "registry": persons[["status", "redirect_to"]].sort_index(),
        "queue": read_queue(identity)[["record_key_l", "record_key_r", "reason"]],
        "evidence": evidence[["record_key_l", "record_key_r", "tier", "status"]]
        .sort_values(["record_key_l", "record_key_r", "tier"])
        .reset_index(drop=True),
    }


def assert_same(got: dict, want: dict) -> None:
    for name, frame in want.items():
        pd.testing.assert_frame_equal(got[name], frame, obj=name)


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[list[str], Path, Path]:
    """A zone whose next run merges two persons, a copy of it after that run, and the files."""
    staging, identity = tmp_path / "staging", tmp_path / "identity"
    install_model(identity)
    files = [
        write_batch(staging, "a", "2026-07", FIRST),
        write_batch(staging, "b", "2026-07", SECOND),
    ]
    resolve_files(files, identity)
    sheet = tmp_path / "review.csv"
    assert export_queue(identity, files, sheet) == 1
    pd.read_csv(sheet).assign(decision="same").to_csv(sheet, index=False)
    import_decisions(identity, sheet, "clerk")
    reference = tmp_path / "reference"
    shutil.copytree(identity, reference)
    resolve_files(files, reference)  # the next run, uninterrupted
    return files, identity, reference


def test_a_run_that_dies_before_its_journal_changes_no_output(two_runs, monkeypatch) -> None:
    files, identity, reference = two_runs
    before = outputs(identity)
    written = registry.write_registry

    def die_on_households(*args, **kwargs) -> None:
        if args[2] == "household":
            raise RuntimeError("killed while publishing")
        written(*args, **kwargs)

    monkeypatch.setattr(registry, "write_registry", die_on_households)
    with pytest.raises(RuntimeError, match="killed while publishing"):
        resolve_files(files, identity)
    assert_same(outputs(identity), before)  # links and person registry were written, not current
    assert list(identity.rglob("*.next"))  # what it wrote waits beside the outputs

    monkeypatch.setattr(registry, "write_registry", written)
    resolve_files(files, identity)
    assert not list(identity.rglob("*.next"))
    assert_same(outputs(identity), outputs(reference))
    persons = read_registry(identity, "person")
    retired = persons[persons["status"] == "retired"]["id"]
    assert len(retired) == 1  # the reviewer's merge is recorded, not lost
    assert follow(persons, retired.iloc[0]) in set(
        pd.read_parquet(identity / "links.parquet")["person_id"]
    )


def test_a_run_that_dies_during_its_moves_is_finished_by_the_next(two_runs, monkeypatch) -> None:
    files, identity, reference = two_runs
    moved = []
    replace = Path.replace

    def die_after_two_moves(self: Path, target):
        if self.name.endswith(publication.SUFFIX):
            if len(moved) == 2:
                raise OSError("killed during the moves")
            moved.append(self)
        return replace(self, target)

    monkeypatch.setattr(Path, "replace", die_after_two_moves)
    with pytest.raises(OSError, match="killed during the moves"):
        resolve_files(files, identity)
    monkeypatch.setattr(Path, "replace", replace)
    assert (identity / JOURNAL).exists()

    assert publication.recover(identity)
    assert not (identity / JOURNAL).exists()
    assert_same(outputs(identity), outputs(reference))
    # the finished run is the one the state names: the next run has nothing new to link
    summary = resolve_files(files, identity)
    assert (summary["mode"], summary["new_records"], summary["events"]) == ("incremental", 0, {})
    assert_same(outputs(identity), outputs(reference))
    assert (identity / MANIFEST).exists()
