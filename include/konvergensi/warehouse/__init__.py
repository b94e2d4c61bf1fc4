"""The convergence warehouse: layered SQL models, snapshot writer, publication, DuckDB views."""

from konvergensi.warehouse.reader import open_warehouse

__all__ = ["open_warehouse"]
