"""Personal-data protection: keyed pseudonyms, masking for logs and reports."""
