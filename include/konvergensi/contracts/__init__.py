"""Source contracts: one YAML file per ministry extract, and the canonical schema they map onto."""

from konvergensi.contracts.model import Contract, ContractError, load_contract, load_contracts
from konvergensi.contracts.schema import CANONICAL_FIELDS, FieldKind

__all__ = [
    "CANONICAL_FIELDS",
    "Contract",
    "ContractError",
    "FieldKind",
    "load_contract",
    "load_contracts",
]
