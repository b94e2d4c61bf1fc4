"""Stable IDs over incremental runs, review overrides, explanations and model versions."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from konvergensi.resolve.explain import explain
from konvergensi.resolve.models_store import current_model
from konvergensi.resolve.registry import follow, read_registry
from konvergensi.resolve.review import export_queue, import_decisions, read_queue
from konvergensi.resolve.run import resolve_files, retrain
from konvergensi.resolve.state import STATE
from tests.resolve_cases import OTHER_VILLAGE, install_model, key, person, write_batch
from tests.test_resolve_tiers import nik

FIRST = [
    person("Yohanes Benu", "1980-03-12", "L", nik(12, 3, 1980, 1)),
    person("Maria Benu Tefa", "1975-08-17", "P", nik(17, 8, 1975, 2, True)),
    person("Petrus Selan", "1966-11-30", "L"),
    person("Agustina Kase", "1990-02-14", "P", village=OTHER_VILLAGE),
]


def links_of(identity: Path) -> pd.Series:
    return pd.read_parquet(identity / "links.parquet").set_index("record_key")["person_id"]


def test_ids_stay_stable_across_two_incremental_runs(zones) -> None:
    staging, identity = zones
    files = [write_batch(staging, "a", "2026-07", FIRST)]
    first = resolve_files(files, identity)
    before = links_of(identity)

    files.append(
        write_batch(
            staging,
            "a",
            "2026-08",
            [
                person("YOHANES BENU", "1980-03-12", "L", nik(12, 3, 1980, 1)),
                person("Petrus Selan", "1966-11-30", "L"),
                person("Ruben Nope", "2001-01-09", "L", nik(9, 1, 2001, 3)),
            ],
        )
    )
    second = resolve_files(files, identity)
    middle = links_of(identity)
    files.append(write_batch(staging, "b", "2026-Q3", [person("Maria Benu", "1975-08-17", "P")]))
    third = resolve_files(files, identity)
    after = links_of(identity)

    assert (first["mode"], second["mode"], third["mode"]) == ("full", "incremental", "incremental")
    assert (second["new_records"], third["new_records"]) == (3, 1)
    assert (middle[before.index] == before).all() and (after[before.index] == before).all()
    assert after[key("a", "2026-08", 1)] == before[key("a", "2026-07", 1)]
    assert after[key("a", "2026-08", 2)] == before[key("a", "2026-07", 3)]
    assert after[key("b", "2026-Q3", 1)] == before[key("a", "2026-07", 2)]
    assert after[key("a", "2026-08", 3)] not in set(before)


def test_reviewers_decisions_are_respected_by_later_runs(zones, tmp_path: Path) -> None:
    staging, identity = zones
    files = [
        write_batch(staging, "a", "2026-07", FIRST),
        write_batch(
            staging,
            "b",
            "2026-07",
            [
                person("Maria Benu", "1975-08-17", "P"),
                person("Petrus Selan", "1966-11-30", "L", village=OTHER_VILLAGE),
            ],
        ),
    ]
    resolve_files(files, identity)
    before = links_of(identity)
    woman_a, woman_b = key("a", "2026-07", 2), key("b", "2026-07", 1)
    petrus_a, petrus_b = key("a", "2026-07", 3), key("b", "2026-07", 2)
    assert before[woman_a] == before[woman_b]
    assert before[petrus_a] != before[petrus_b]
    queued = read_queue(identity)
    assert ((queued["record_key_l"] == petrus_a) & (queued["record_key_r"] == petrus_b)).any()

    sheet = tmp_path / "review.csv"
    assert export_queue(identity, files, sheet) == len(queued)
    exported = pd.read_csv(sheet, dtype=str, keep_default_na=False)
    assert {"full_name_l", "birth_date_r", "decision"} <= set(exported.columns)
    exported["decision"] = "same"
    extra = pd.DataFrame(
        {"record_key_l": [woman_b], "record_key_r": [woman_a], "decision": ["Different"]}
    )
    pd.concat([exported, extra]).to_csv(sheet, index=False)
    counts = import_decisions(identity, sheet, reviewer="clerk-1")
    assert counts == {"same": len(queued), "different": 1, "open": 0, "not_current": 0}

    summary = resolve_files(files, identity)
    after = links_of(identity)
    assert summary["mode"] == "full"  # a decision separated records one person held
    assert after[woman_a] != after[woman_b]
    assert after[petrus_a] == after[petrus_b]
    persons = read_registry(identity, "person")
    for retired in {before[petrus_a], before[petrus_b]} - {after[petrus_a]}:
        assert follow(persons, retired) == after[petrus_a]
    assert {after[woman_a], after[woman_b]} >= {before[woman_a]}
    assert read_queue(identity).empty


def test_bad_decision_names_the_row(zones, tmp_path: Path) -> None:
    sheet = tmp_path / "review.csv"
    pd.DataFrame(
        {"record_key_l": ["x", "y"], "record_key_r": ["z", "w"], "decision": ["same", "maybe"]}
    ).to_csv(sheet, index=False)
    with pytest.raises(ValueError, match="row 3: decision 'maybe'"):
        import_decisions(zones[1], sheet, reviewer="clerk-1")


def test_review_queue_exports_to_xlsx(zones, tmp_path: Path) -> None:
    staging, identity = zones
    files = [
        write_batch(staging, "a", "2026-07", FIRST),
        write_batch(
            staging,
            "b",
            "2026-07",
            [person("Petrus Selan", "1966-11-30", "L", village=OTHER_VILLAGE)],
        ),
    ]
    resolve_files(files, identity)
    sheet = tmp_path / "review.xlsx"
    written = export_queue(identity, files, sheet)
    assert written >= 1 and len(pd.read_excel(sheet)) == written


def test_explain_shows_the_evidence_without_personal_data(zones) -> None:
    staging, identity = zones
    files = [
        write_batch(staging, "a", "2026-07", FIRST),
        write_batch(staging, "b", "2026-07", [person("MARIA BENU", "1975-08-17", "P")]),
    ]
    resolve_files(files, identity)
    woman_a, woman_b = key("a", "2026-07", 2), key("b", "2026-07", 1)
    text = explain(identity, woman_a, woman_b)
    assert text.startswith("same person")
    assert "tier probabilistic, linked" in text and "name: one name holds the other" in text
    assert "birth_date: exact" in text and "probability" in text
    assert "MARIA" not in text.upper().replace("KEY", "") and nik(17, 8, 1975, 2, True) not in text
    other = explain(identity, woman_a, key("a", "2026-07", 1))
    assert other.startswith("different persons")
    with pytest.raises(KeyError, match="not in the current links"):
        explain(identity, woman_a, "nope|2026-07|b1|9")


def test_model_is_reused_until_a_deliberate_retrain(zones) -> None:
    staging, identity = zones
    version = current_model(identity)[0]
    rows = [*FIRST, person("Yohanes Benu", "1980-03-12", "L", nik(12, 3, 1980, 1))]
    files = [write_batch(staging, "a", "2026-07", rows)]
    assert resolve_files(files, identity)["model_version"] == version
    files.append(write_batch(staging, "a", "2026-08", FIRST))
    assert resolve_files(files, identity)["model_version"] == version

    new_version = retrain([SimpleNamespace(source="a")], staging, identity)
    assert new_version != version and current_model(identity)[0] == new_version
    assert (identity / "models" / version / "model.json").exists()


def _shared_nik_pair(staging: Path, identity: Path) -> tuple[list[str], str, str]:
    """Two sources' records of one NIK with a one-letter name difference, resolved once."""
    shared = nik(12, 3, 1980, 1)
    files = [
        write_batch(staging, "a", "2026-07", [person("Yohanes Benu", "1980-03-12", "L", shared)]),
        write_batch(staging, "b", "2026-07", [person("Yohanes Bena", "1980-03-12", "L", shared)]),
    ]
    resolve_files(files, identity)
    return files, key("a", "2026-07", 1), key("b", "2026-07", 1)


def _decide(identity: Path, sheet: Path, pair: tuple[str, str], decision: str) -> None:
    """Import one reviewer decision on a pair."""
    frame = pd.DataFrame({"record_key_l": [pair[0]], "record_key_r": [pair[1]]})
    frame.assign(decision=decision).to_csv(sheet, index=False)
    import_decisions(identity, sheet, reviewer="clerk-2")


def test_reviewer_can_separate_records_that_share_a_nik(zones, tmp_path: Path) -> None:
    staging, identity = zones
    files, a, b = _shared_nik_pair(staging, identity)
    assert links_of(identity)[a] == links_of(identity)[b]
    _decide(identity, tmp_path / "decisions.csv", (a, b), "different")
    resolve_files(files, identity)
    assert links_of(identity)[a] != links_of(identity)[b]

    # a later extract with the same NIK: linked incrementally, the NIK held like a conflict
    shared = nik(12, 3, 1980, 1)
    files.append(
        write_batch(staging, "c", "2026-08", [person("Yohanes Benu", "1980-03-12", "L", shared)])
    )
    whole = tmp_path / "whole"
    shutil.copytree(identity, whole)
    (whole / STATE).unlink()
    summary = resolve_files(files, identity)
    assert summary["mode"] == "incremental" and summary["settled_by_nik"] == 0
    assert summary["scope_records"] >= 3  # the new record and both records of the held NIK
    links = links_of(identity)
    assert links[a] != links[b]
    resolve_files(files, whole)
    assert links.equals(links_of(whole))


def test_command_line_explains_and_round_trips_a_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from konvergensi.cli import main

    monkeypatch.setenv("KONVERGENSI_DATA_ROOT", str(tmp_path))
    identity = tmp_path / "identity"
    install_model(identity)
    files = [
        write_batch(tmp_path / "staging", "a", "2026-07", FIRST),
        write_batch(
            tmp_path / "staging",
            "b",
            "2026-07",
            [person("Petrus Selan", "1966-11-30", "L", village=OTHER_VILLAGE)],
        ),
    ]
    resolve_files(files, identity)
    main(["explain", key("a", "2026-07", 3), key("b", "2026-07", 1)])
    assert capsys.readouterr().out.startswith("different persons")

    sheet = tmp_path / "queue.csv"
    main(["review", "export", str(sheet)])
    rows = pd.read_csv(sheet, dtype=str, keep_default_na=False)
    rows["decision"] = "same"
    rows.to_csv(sheet, index=False)
    main(["review", "import", str(sheet), "--reviewer", "clerk-3"])
    assert "imported 1 same" in capsys.readouterr().out.splitlines()[-1]
    resolve_files(files, identity)
    assert links_of(identity)[key("a", "2026-07", 3)] == links_of(identity)[key("b", "2026-07", 1)]
    with pytest.raises(SystemExit, match="not in the current links"):
        main(["explain", key("a", "2026-07", 3), "x|y|z|1"])


def test_a_changed_decision_is_applied_even_when_the_count_stays(zones, tmp_path: Path) -> None:
    staging, identity = zones
    files, a, b = _shared_nik_pair(staging, identity)
    for decision in ("same", "different"):  # one pair, decided twice: still one override row
        _decide(identity, tmp_path / "decisions.csv", (a, b), decision)
        resolve_files(files, identity)
        assert (links_of(identity)[a] == links_of(identity)[b]) == (decision == "same")


@pytest.mark.parametrize(
    ("command", "missing", "remedy"),
    [
        (["query", "select 1"], "warehouse.duckdb", "build_warehouse"),
        (["explain", "a|2026-07|b|1", "a|2026-07|b|2"], "links.parquet", "resolve_identities"),
        (["review", "export", "queue.csv"], "manifest.json", "resolve_identities"),
        (["review", "import", "queue.csv", "--reviewer", "clerk-3"], "queue.csv", "review export"),
    ],
)
def test_commands_before_their_zone_exists_say_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], missing: str, remedy: str
) -> None:
    from konvergensi.cli import main

    monkeypatch.setenv("KONVERGENSI_DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(command)
    message = str(exited.value.code)
    assert missing in message and remedy in message and "\n" not in message
    assert not (tmp_path / "data").exists()
