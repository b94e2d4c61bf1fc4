"""Ingestion: landing -> immutable raw archive -> typed, standardised staging Parquet."""
