"""docs/data_dictionary.md is generated from the model and up to date, and its types are the
types a real build writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from konvergensi.warehouse import dictionary, open_warehouse
from konvergensi.warehouse.dictionary import column_types, render
from konvergensi.warehouse.models import load_models, published_models
from konvergensi.warehouse.publish import DUCKDB_FILE
from tests.warehouse_sample import staged_sample

DOC = Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"
REGENERATE = "PYTHONPATH=include .venv/bin/python -m konvergensi.warehouse.dictionary " + str(
    DOC.relative_to(DOC.parents[1])
)


def test_data_dictionary_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), f"out of date: run {REGENERATE}"


def test_every_model_states_grain_zone_and_meaning() -> None:
    text = DOC.read_text(encoding="utf-8")
    for model in load_models():
        assert f"### {model.name}\n" in text
        assert model.grain and model.description
    assert "| `register_people` | BIGINT |" in text


def test_dictionary_types_are_the_types_a_build_writes(tmp_path_factory) -> None:
    sample = staged_sample(tmp_path_factory.getbasetemp())
    warehouse = tmp_path_factory.mktemp("dictionary") / "warehouse"
    sample.build(warehouse, min_cell_size=5)
    documented = column_types()
    con = open_warehouse(warehouse / DUCKDB_FILE)
    try:
        for model in published_models():
            built = [(r[0], r[1]) for r in con.execute(f"describe {model.name}").fetchall()]
            assert built == documented[model.name], model.name
    finally:
        con.close()


def test_an_undescribed_column_is_an_error() -> None:
    model = next(m for m in published_models() if m.name == "dim_period")
    columns = [*column_types()["dim_period"], ("surprise", "BIGINT")]
    with pytest.raises(ValueError, match="does not describe"):
        dictionary._meanings(model, columns)
