"""Konvergensi: ingest ministry extracts, validate, resolve beneficiaries, build the warehouse."""

__version__ = "0.1.0"
