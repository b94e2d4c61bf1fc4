"""The SQL models, layered like a dbt project: staging -> intermediate -> marts."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

LAYERS = ("staging", "intermediate", "marts")
# Marts that others depend on come first; the rest follow in name order.
_MART_ORDER = ("dim_period",)
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


def load_models() -> list[Model]:
    """Every model in build order."""
    root = resources.files("konvergensi.warehouse") / "models"
    models = []
    for layer in LAYERS:
        files = sorted(
            (f for f in (root / layer).iterdir() if f.name.endswith(".sql")),
            key=lambda f: (f.name.removesuffix(".sql") not in _MART_ORDER, f.name),
        )
        models.extend(
            Model(layer, f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in files
        )
    return models
