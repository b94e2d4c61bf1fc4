"""The convergence warehouse: layered SQL models, snapshot writer, publication, DuckDB views."""
