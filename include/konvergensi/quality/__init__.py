"""Data-quality gates: Great Expectations suites built from the contracts, quarantine, reports."""
