"""The ingestion corpus: awkward and broken extracts, built from generated people in the tests."""
