"""Settings the test modules share (imported as `tests.settings`, never from conftest)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# CI sets this: a test that needs a service (PostgreSQL's tools, Chromium) fails instead of
# skipping when the service is missing.
REQUIRE_SERVICES = os.environ.get("KONVERGENSI_REQUIRE_SERVICES") == "1"
