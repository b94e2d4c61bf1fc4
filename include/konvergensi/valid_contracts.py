"""The source contracts loaded one by one, so one invalid file never hides the others.

The ingest DAG file builds a DAG per valid contract and a failing stand-in for an invalid one;
the catch-up sweep uses the valid contracts and logs which file it left out and why. Identity
resolution and the warehouse need every source (leaving one out would drop its records from the
links and the next snapshot), so they refuse to run while a file does not load. Light: DAG files
import it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from konvergensi.contracts import Contract, ContractError, load_contract

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InvalidContract:
    """A contract file that could not be loaded, with the loader's reason."""

    path: Path
    error: str

    @property
    def dag_id(self) -> str:
        """The id of the ingest DAG the file would give (`ingest_<file name>`)."""
        return "ingest_" + re.sub(r"[^A-Za-z0-9_.-]", "_", self.path.stem)


def load_each(directory: Path) -> tuple[list[Contract], list[InvalidContract]]:
    """Valid contracts (sorted by source) and invalid files; a missing folder still raises."""
    if not directory.is_dir():
        raise ContractError(f"contracts folder {directory} does not exist")
    valid, invalid = [], []
    for path in sorted(directory.glob("*.yaml")):
        try:
            valid.append(load_contract(path))
        except ContractError as error:
            invalid.append(InvalidContract(path, str(error)))
    return valid, invalid


def valid_contracts(directory: Path) -> list[Contract]:
    """The contracts that load, with a warning naming each file left out and why."""
    valid, invalid = load_each(directory)
    for bad in invalid:
        log.warning("left out %s until it is fixed: %s", bad.path.name, bad.error)
    return valid


def every_contract(directory: Path, step: str) -> list[Contract]:
    """Every contract, or a ContractError naming each file that does not load and why.

    For `step`s that span all sources (identity resolution, the warehouse): running without a
    source would silently drop its records, so they stop until the file is fixed.
    """
    valid, invalid = load_each(directory)
    if invalid:
        problems = "; ".join(f"{bad.path.name}: {bad.error}" for bad in invalid)
        stand_ins = ", ".join(bad.dag_id for bad in invalid)
        raise ContractError(
            f"{step} did not run: {len(invalid)} contract file(s) in {directory} do not load "
            f"({problems}). Running without them would drop those sources' records from the "
            f"links and the warehouse. Fix the file(s) (the DAG(s) {stand_ins} show the same "
            "problem), then clear this task; the other sources' ingest DAGs keep running"
        )
    return valid
