"""The SQL models, layered like a dbt project: staging -> intermediate -> marts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

LAYERS = ("staging", "intermediate", "marts")
# Analytics tables partitioned by reporting quarter.
PARTITIONED = {"fact_intervention", "fact_register_membership", "mart_convergence_village"}


@dataclass(frozen=True)
class Model:
    """One SQL model: its layer, table name, SQL text and the grain stated in its header."""

    layer: str
    name: str
    sql: str

    @property
    def grain(self) -> str:
        """The grain line from the model's header comment."""
        for line in self.sql.splitlines():
            if line.startswith("-- Grain:"):
                return line.removeprefix("-- Grain:").strip()
        raise ValueError(f"model {self.name} does not state its grain")

    @property
    def description(self) -> str:
        """The first header line after the model's name."""
        first = self.sql.splitlines()[0].removeprefix("--").strip()
        return first.split(":", 1)[1].strip() if ":" in first else first


def _build_order(models: list[Model]) -> list[Model]:
    """Layers in order; within a layer, every model after the models it reads from."""
    names = {m.name for m in models}
    depends = {
        m.name: {n for n in names if n != m.name and re.search(rf"\b{n}\b", m.sql)} for m in models
    }
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


def load_models() -> list[Model]:
    """Every model, in an order where each runs after the models it reads from."""
    root = resources.files("konvergensi.warehouse") / "models"
    models = [
        Model(layer, f.name.removesuffix(".sql"), f.read_text(encoding="utf-8"))
        for layer in LAYERS
        for f in (root / layer).iterdir()
        if f.name.endswith(".sql")
    ]
    return _build_order(models)
