"""The SQL models, layered like a dbt project: staging -> intermediate -> marts.

Each layer's folder holds one `.sql` file per model (its header names the model and states its
grain) and a `schema.yaml` with what the SQL cannot say: the zone, how the table is partitioned
and sorted, the meaning of every column and, for aggregate marts, the disclosure-control rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

LAYERS = ("staging", "intermediate", "marts")
ZONES = ("restricted", "analytics")


@dataclass(frozen=True)
class Model:
    """One SQL model: its layer, table name, SQL text and its entry in the layer's schema.yaml."""

    layer: str
    name: str
    sql: str
    spec: dict = field(default_factory=dict, compare=False)

    @property
    def grain(self) -> str:
        """The grain line from the model's header comment."""
        for line in self.sql.splitlines():
            if line.startswith("-- Grain:"):
                return line.removeprefix("-- Grain:").strip()
        raise ValueError(f"model {self.name} does not state its grain")

    @property
    def description(self) -> str:
        """The header comment before the grain line, without the model's name."""
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--") or line.startswith("-- Grain:"):
                break
            lines.append(line.removeprefix("--").strip())
        text = " ".join(lines).removeprefix(f"{self.name}:").strip()
        return text[:1].upper() + text[1:]

    @property
    def zone(self) -> str:
        """`analytics` (written to the snapshot) or `restricted` (kept in the build's memory)."""
        return self.spec["zone"]

    @property
    def published(self) -> bool:
        """True when the table is written to the analytics zone."""
        return self.zone == "analytics"

    @property
    def columns(self) -> dict[str, str]:
        """Column -> meaning, in the order the dictionary lists them."""
        return dict(self.spec.get("columns", {}))

    @property
    def partition_by(self) -> list[str]:
        """Hive partition columns (written as `<column>=<value>/` folders)."""
        return list(self.spec.get("partition_by", []))

    @property
    def sort_by(self) -> list[str]:
        """Leading sort columns: what readers filter on, so row-group statistics prune."""
        return list(self.spec.get("sort_by", []))

    @property
    def suppression(self) -> dict | None:
        """Disclosure-control rules of an aggregate mart, or None for other tables."""
        return self.spec.get("suppression")


def _check_spec(layer: str, name: str, spec: dict | None) -> dict:
    if spec is None:
        raise ValueError(f"model {name} has no entry in models/{layer}/schema.yaml")
    if spec.get("zone") not in ZONES:
        raise ValueError(f"model {name}: zone must be one of {ZONES}, not {spec.get('zone')!r}")
    if spec["zone"] == "analytics" and layer != "marts":
        raise ValueError(f"model {name}: only marts may be published to the analytics zone")
    if not spec.get("columns"):
        raise ValueError(f"model {name}: schema.yaml describes none of its columns")
    return spec


def _build_order(models: list[Model]) -> list[Model]:
    """Layers in order; within a layer, every model after the models it reads from."""
    names = {m.name for m in models}
    depends = {
        m.name: {n for n in names if n != m.name and re.search(rf"\b{n}\b", m.sql)} for m in models
    }
    for m in models:
        later = [n for n in depends[m.name] if _layer_of(models, n) > LAYERS.index(m.layer)]
        if later:
            raise ValueError(f"model {m.name} ({m.layer}) reads from a later layer: {later}")
    ordered: list[Model] = []
    done: set[str] = set()
    pending = sorted(models, key=lambda m: (LAYERS.index(m.layer), m.name))
    while pending:
        ready = [m for m in pending if depends[m.name] <= done]
        if not ready:
            raise ValueError(f"models depend on each other in a cycle: {[m.name for m in pending]}")
        chosen = ready[0]
        ordered.append(chosen)
        done.add(chosen.name)
        pending.remove(chosen)
    return ordered


def _layer_of(models: list[Model], name: str) -> int:
    return next(LAYERS.index(m.layer) for m in models if m.name == name)


@cache
def load_models() -> tuple[Model, ...]:
    """Every model, in an order where each runs after the models it reads from."""
    root = resources.files("konvergensi.warehouse") / "models"
    models = []
    for layer in LAYERS:
        specs = yaml.safe_load((root / layer / "schema.yaml").read_text(encoding="utf-8"))
        specs = specs.get("models") or {}
        names = set()
        for f in (root / layer).iterdir():
            if f.name.endswith(".sql"):
                name = f.name.removesuffix(".sql")
                names.add(name)
                spec = _check_spec(layer, name, specs.get(name))
                models.append(Model(layer, name, f.read_text(encoding="utf-8"), spec))
        if extra := sorted(set(specs) - names):
            raise ValueError(f"models/{layer}/schema.yaml describes models without SQL: {extra}")
    return tuple(_build_order(models))


def published_models() -> list[Model]:
    """The marts written to the analytics zone, in build order."""
    return [m for m in load_models() if m.published]
