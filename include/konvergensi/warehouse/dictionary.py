"""The data dictionary (docs/data_dictionary.md), generated from the models.

Column names and types come from running every model on empty, typed inputs (no data needed);
grains from the SQL headers; meanings, zones, partitioning and disclosure rules from each
layer's schema.yaml. A column without a meaning, or a meaning without a column, is an error, so
the dictionary cannot drift from the model. Regenerate with

    PYTHONPATH=include .venv/bin/python -m konvergensi.warehouse.dictionary docs/data_dictionary.md
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from konvergensi.privacy.suppression import FLAG_SUFFIX, Rules
from konvergensi.warehouse.build import run_models
from konvergensi.warehouse.inputs import register_empty_inputs
from konvergensi.warehouse.models import Model, load_models

HEADER = """# Data dictionary

Generated from the SQL models and their `schema.yaml` by
`python -m konvergensi.warehouse.dictionary docs/data_dictionary.md`; a test fails when this file
is out of date, so do not edit it by hand.

Zones: **analytics** tables are written to every snapshot and are what analysts get (keyed
pseudonyms, no names, no NIK, no KK). **restricted** tables exist only in the memory of a
build (they hold the identity zone's person and household ids) and are listed so that every
step from the staging zone to a mart can be followed. Aggregate marts are protected by
disclosure control (see docs/warehouse.md): a count can be NULL with its `_suppressed` flag set.
"""


def column_types() -> dict[str, list[tuple[str, str]]]:
    """Model -> [(column, DuckDB type)] as a build produces them, from empty inputs."""
    con = duckdb.connect()
    try:
        register_empty_inputs(con)
        run_models(con, min_cell_size=0)
        return {
            m.name: [(r[0], r[1]) for r in con.execute(f"describe {m.name}").fetchall()]
            for m in load_models()
        }
    finally:
        con.close()


def _meanings(model: Model, columns: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(column, type, meaning) rows; every column must be described and only those."""
    described = model.columns
    counts = Rules.from_spec(model.suppression).counts if model.suppression else ()
    flags = {c + FLAG_SUFFIX for c in counts}
    names = [c for c, _ in columns]
    if missing := [c for c in names if c not in described and c not in flags]:
        raise ValueError(f"{model.name}: schema.yaml does not describe {missing}")
    if extra := sorted(set(described) - set(names)):
        raise ValueError(f"{model.name}: schema.yaml describes columns it lacks: {extra}")
    rows = [(c, t, described[c]) for c, t in columns if c not in flags]
    if flags:
        rows.append(
            (
                "*count*" + FLAG_SUFFIX,
                "BOOLEAN",
                f"One per count column ({len(flags)}): true when that count is withheld; "
                "the count is then NULL.",
            )
        )
    return rows


def _section(model: Model, columns: list[tuple[str, str]]) -> list[str]:
    lines = [f"### {model.name}", "", model.description, "", f"- **Grain**: {model.grain}"]
    lines.append(f"- **Zone**: {model.zone} ({model.layer})")
    if model.partition_by:
        lines.append(f"- **Partitioned by**: {', '.join(model.partition_by)} (Hive folders)")
    if model.sort_by:
        lines.append(f"- **Sorted by**: {', '.join(model.sort_by)}")
    if model.suppression:
        rules = Rules.from_spec(model.suppression)
        lines.append(f"- **Disclosure control**: {len(rules.counts)} counts; exact relations:")
        lines.extend(f"  - `{r}`" for r in model.suppression.get("relations", []))
        if rules.rollup_into:
            lines.append(f"  - its rows add up to the rows of `{rules.rollup_into}`")
    lines += ["", "| column | type | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{c}` | {t} | {m} |" for c, t, m in _meanings(model, columns)]
    return [*lines, ""]


def render() -> str:
    """The whole dictionary as Markdown."""
    types = column_types()
    lines = [HEADER]
    for zone, title in (("analytics", "Analytics zone"), ("restricted", "Restricted zone")):
        lines += [f"## {title}", ""]
        for model in sorted(
            (m for m in load_models() if m.zone == zone),
            key=lambda m: (m.layer, m.name),
        ):
            lines += _section(model, types[model.name])
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> None:
    """Write the dictionary to the given path (default: print it)."""
    text = render()
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
