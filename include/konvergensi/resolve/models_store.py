"""Versioned person models: identity/models/<version>/ (model.json, meta.json, the compiled query).

A run reuses the current model; only the first run, or a deliberate `retrain`, trains one.
PREDICT is the model compiled to one scoring query, so a run scores without splink.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from konvergensi.resolve.model import compile_predict

# the compiled query, named by its layout: a version compiled to an older one (predict.sql,
# without gamma_name) is compiled again on its first use
PREDICT = "predict-v2.sql"


def models_root(identity_root: Path) -> Path:
    """Folder holding every model version."""
    return identity_root / "models"


def current_model(identity_root: Path) -> tuple[str, dict[str, Any]] | None:
    """(version, splink model) the runs use, or None before the first training."""
    pointer = models_root(identity_root) / "CURRENT"
    if not pointer.exists():
        return None
    version = pointer.read_text().strip()
    model = json.loads((models_root(identity_root) / version / "model.json").read_text())
    return version, model


def save_model(identity_root: Path, model: dict[str, Any], meta: dict[str, Any]) -> str:
    """Store a trained model as a new version and make it current; returns the version."""
    text = json.dumps(model, indent=2, sort_keys=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    version = f"{stamp}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    folder = models_root(identity_root) / version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.json").write_text(text)
    (folder / "meta.json").write_text(json.dumps({"version": version, **meta}, indent=2))
    predict_query(identity_root, version, model)
    pointer = models_root(identity_root) / "CURRENT"
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(version + "\n")
    tmp.replace(pointer)
    return version


def predict_query(identity_root: Path, version: str, model: dict[str, Any]) -> str:
    """Version `version`'s compiled scoring query; compiled and stored on its first use."""
    path = models_root(identity_root) / version / PREDICT
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(compile_predict(model))
        tmp.replace(path)
    return path.read_text()
