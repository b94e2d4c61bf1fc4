"""A corrected re-delivery (a new batch for the same source and period) and a withdrawn source."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from konvergensi.resolve.explain import explain
from konvergensi.resolve.publication import exclusive
from konvergensi.resolve.registry import read_registry
from konvergensi.resolve.review import import_decisions, read_overrides
from konvergensi.resolve.run import resolve_files
from konvergensi.resolve.state import STATE
from tests.resolve_cases import key, person, write_batch
from tests.test_resolve_tiers import nik

A = [person("Yohanes Benu", "1980-03-12", "L", nik(12, 3, 1980, 1))]
B = [
    person("Agustina Kase", "1990-02-14", "P", nik(14, 2, 1990, 5, True)),
    person("Markus Nope", "1955-01-01", "L"),
]


def links_of(identity: Path) -> pd.DataFrame:
    return pd.read_parquet(identity / "links.parquet").set_index("record_key")


def test_a_corrected_redelivery_keeps_its_peoples_ids(zones) -> None:
    staging, identity = zones
    first = write_batch(staging, "a", "2026-07", A)
    resolve_files([first, write_batch(staging, "b", "2026-07", B)], identity)
    before = links_of(identity)

    # the ministry re-sends b/2026-07 with one name corrected: new batch, new record keys
    corrected = [B[0], person("Markus Nope Selan", "1955-01-01", "L")]
    summary = resolve_files(
        [first, write_batch(staging, "b", "2026-07", corrected, "b2")], identity
    )
    after = links_of(identity)

    for row in (1, 2):
        old, new = key("b", "2026-07", row), key("b", "2026-07", row, "b2")
        assert after.loc[new, "person_id"] == before.loc[old, "person_id"]
        assert after.loc[new, "household_id"] == before.loc[old, "household_id"]
    assert (
        after.loc[key("a", "2026-07", 1), "person_id"]
        == before.loc[key("a", "2026-07", 1), "person_id"]
    )
    assert summary["events"] == {}  # no new person, no merge
    persons = read_registry(identity, "person")
    assert set(persons["id"]) == set(before["person_id"])
    assert set(persons["status"]) == {"active"}


def test_a_reviewers_decision_survives_a_corrected_redelivery(zones, tmp_path: Path) -> None:
    staging, identity = zones
    shared = nik(12, 3, 1980, 1)
    first = write_batch(
        staging, "a", "2026-07", [person("Yohanes Benu", "1980-03-12", "L", shared)]
    )
    other = [person("Yohanes Bena", "1980-03-12", "L", shared)]
    resolve_files([first, write_batch(staging, "b", "2026-07", other)], identity)
    sheet = tmp_path / "decisions.csv"
    decided = {"record_key_l": [key("a", "2026-07", 1)], "record_key_r": [key("b", "2026-07", 1)]}
    pd.DataFrame({**decided, "decision": ["different"]}).to_csv(sheet, index=False)
    import_decisions(identity, sheet, "clerk")
    resolve_files([first, write_batch(staging, "b", "2026-07", other)], identity)
    separated = links_of(identity)["person_id"]
    assert separated.nunique() == 2

    files = [first, write_batch(staging, "b", "2026-07", other, "b2")]
    resolve_files(files, identity)
    after = links_of(identity)["person_id"]
    assert after[key("a", "2026-07", 1)] != after[key("b", "2026-07", 1, "b2")]
    assert after[key("b", "2026-07", 1, "b2")] == separated[key("b", "2026-07", 1)]
    overrides = read_overrides(identity)
    restated = overrides[overrides["record_key_r"] == key("b", "2026-07", 1, "b2")]
    assert restated[["record_key_l", "decision", "reviewer"]].values.tolist() == [
        [key("a", "2026-07", 1), "different", "clerk"]
    ]
    # the restated decision holds in the next run too, which links nothing anew
    summary = resolve_files(files, identity)
    assert (summary["mode"], summary["new_records"]) == ("incremental", 0)
    assert links_of(identity)["person_id"].equals(after)


def test_ids_that_no_record_holds_any_more_become_dormant(zones) -> None:
    staging, identity = zones
    first = write_batch(staging, "a", "2026-07", A)
    resolve_files([first, write_batch(staging, "b", "2026-07", B)], identity)
    withdrawn = set(
        links_of(identity).loc[[key("b", "2026-07", 1), key("b", "2026-07", 2)], "person_id"]
    )

    resolve_files([first], identity)  # source b withdrew its records
    persons = read_registry(identity, "person").set_index("id")["status"]
    assert persons[sorted(withdrawn)].tolist() == ["dormant", "dormant"]
    assert persons[links_of(identity)["person_id"].iloc[0]] == "active"


def test_a_state_of_an_older_layout_is_relinked_not_patched(zones) -> None:
    staging, identity = zones
    files = [write_batch(staging, "a", "2026-07", A)]
    resolve_files(files, identity)
    state = duckdb.connect(str(identity / STATE))
    state.execute("alter table meta drop column format")  # as a state written before FORMAT
    state.close()
    files.append(write_batch(staging, "b", "2026-07", B))

    summary = resolve_files(files, identity)
    assert summary["mode"] == "incremental"
    assert "scope_records" not in summary  # a whole pass, which writes the state anew
    files.append(write_batch(staging, "c", "2026-07", [person("Ruben Nope", "2001-01-09", "L")]))
    assert "scope_records" in resolve_files(files, identity)  # then a delta pass again


def test_explain_names_the_queue_for_a_held_nik_and_import_flags_stale_keys(
    zones, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from konvergensi.cli import main

    staging, identity = zones
    shared = nik(12, 3, 1980, 1)
    files = [
        write_batch(staging, "a", "2026-07", [person("Yohanes Benu", "1980-03-12", "L", shared)]),
        write_batch(
            staging, "b", "2026-07", [person("Petrus Nubatonis", "1962-11-30", "L", shared)]
        ),
    ]
    resolve_files(files, identity)
    held = (key("a", "2026-07", 1), key("b", "2026-07", 1))
    answer = explain(identity, *held)
    assert "different persons" in answer
    assert "in the review queue since run" in answer and "NIK shared by records" in answer
    assert "no pair of these two records was scored" not in answer

    # a sheet exported before b/2026-07 was re-delivered names keys no longer current
    resolve_files([files[0], write_batch(staging, "b", "2026-07", [B[1]], "b2")], identity)
    sheet = tmp_path / "decisions.csv"
    pair = {"record_key_l": [held[0]], "record_key_r": [held[1]], "decision": ["same"]}
    pd.DataFrame(pair).to_csv(sheet, index=False)
    assert import_decisions(identity, sheet, "clerk")["not_current"] == 1
    monkeypatch.setenv("KONVERGENSI_DATA_ROOT", str(tmp_path))  # the zones' parent
    main(["review", "import", str(sheet), "--reviewer", "clerk"])
    assert "1 decisions name a record that is no longer current" in capsys.readouterr().out


def test_a_reused_source_record_id_passes_on_no_one_elses_id(zones) -> None:
    """The correction gives Agustina's row id to another woman: she keeps nothing of Agustina."""
    staging, identity = zones
    agustina = B[0]
    other_source = write_batch(staging, "z", "2026-07", [agustina])
    resolve_files([other_source, write_batch(staging, "b", "2026-07", B)], identity)
    before = links_of(identity)["person_id"]

    siti = person("Siti Rohani", "2003-09-01", "P", nik(1, 9, 2003, 7, True))
    corrected = write_batch(staging, "b", "2026-07", [siti, B[1]], "b2")
    summary = resolve_files([other_source, corrected], identity)
    after = links_of(identity)["person_id"]
    assert after[key("z", "2026-07", 1)] == before[key("z", "2026-07", 1)]
    assert after[key("b", "2026-07", 1, "b2")] not in set(before)
    assert after[key("b", "2026-07", 2, "b2")] == before[key("b", "2026-07", 2)]
    assert summary["events"]["person/new"] == 1 and "person/split" not in summary["events"]


def test_a_carried_separation_of_two_corrected_records_relinks_only_them(
    zones, tmp_path: Path
) -> None:
    staging, identity = zones
    files = [write_batch(staging, "a", "2026-07", A)]
    rows = [
        person("Petrus Selan", "1966-11-30", "L"),
        person("Petrus Selan", "1966-11-30", "L", village="53.01.24.2003"),
    ]
    resolve_files([*files, write_batch(staging, "b", "2026-07", rows)], identity)
    sheet = tmp_path / "decisions.csv"
    pair = {"record_key_l": [key("b", "2026-07", 1)], "record_key_r": [key("b", "2026-07", 2)]}
    pd.DataFrame({**pair, "decision": ["different"]}).to_csv(sheet, index=False)
    import_decisions(identity, sheet, "clerk")
    resolve_files([*files, write_batch(staging, "b", "2026-07", rows)], identity)
    parts = set((identity / "evidence").glob("*.parquet"))

    summary = resolve_files([*files, write_batch(staging, "b", "2026-07", rows, "b2")], identity)
    assert (summary["mode"], summary["new_records"]) == ("incremental", 2)
    assert parts < set((identity / "evidence").glob("*.parquet"))  # earlier evidence kept
    after = links_of(identity)["person_id"]
    assert after[key("b", "2026-07", 1, "b2")] != after[key("b", "2026-07", 2, "b2")]


def test_a_review_import_waits_while_a_run_holds_the_zone(zones, tmp_path: Path) -> None:
    staging, identity = zones
    files = [write_batch(staging, "a", "2026-07", A)]
    resolve_files(files, identity)
    sheet = tmp_path / "decisions.csv"
    pair = {"record_key_l": [key("a", "2026-07", 1)], "record_key_r": [key("a", "2026-07", 1)]}
    pd.DataFrame({**pair, "decision": ["same"]}).to_csv(sheet, index=False)
    done = threading.Event()

    def review() -> None:
        import_decisions(identity, sheet, "clerk")
        done.set()

    with exclusive(identity):  # as a run holds it
        reviewer = threading.Thread(target=review)
        reviewer.start()
        assert not done.wait(1.0)
    assert done.wait(10.0)
    reviewer.join()
