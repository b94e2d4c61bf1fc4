"""Clerical review: the queue of uncertain pairs and NIK conflicts, and reviewers' overrides.

identity/review/queue.parquet      pairs waiting for a decision (reason, probability, first run)
identity/review/overrides.parquet  decisions (same | different) that every later run respects
The export holds names, birth dates and NIKs so that a reviewer can decide: it is personal
data and stays inside the restricted identity zone's access rules.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from konvergensi.resolve.publication import exclusive, recover

DECISIONS = ("same", "different")
PAIR = ["record_key_l", "record_key_r"]
QUEUE_COLUMNS = [*PAIR, "reason", "match_probability", "first_queued_run"]
OVERRIDE_COLUMNS = [*PAIR, "decision", "reviewer", "decided_at"]
DETAIL_COLUMNS = ("full_name", "birth_date", "sex", "village_code", "nik_raw", "kk_raw")


def queue_path(identity_root: Path) -> Path:
    """Parquet file of the review queue."""
    return identity_root / "review" / "queue.parquet"


def overrides_path(identity_root: Path) -> Path:
    """Parquet file of the reviewers' decisions."""
    return identity_root / "review" / "overrides.parquet"


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    if path.exists():
        return pd.read_parquet(path)
    return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})


def read_queue(identity_root: Path) -> pd.DataFrame:
    """The current review queue (empty before the first run)."""
    return _read(queue_path(identity_root), QUEUE_COLUMNS)


def read_overrides(identity_root: Path) -> pd.DataFrame:
    """Every decision imported so far, one per pair (the latest wins)."""
    return _read(overrides_path(identity_root), OVERRIDE_COLUMNS)


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """The same pairs with the smaller record key on the left."""
    left = frame[PAIR].min(axis=1)
    right = frame[PAIR].max(axis=1)
    return frame.assign(record_key_l=left, record_key_r=right)


def carry_decisions(overrides: pd.DataFrame, renamed: dict[str, str]) -> pd.DataFrame:
    """The decisions, plus each one on a replaced record restated for its replacement.

    `renamed`: old record key -> the key of the record that replaced it (a correction of the
    same batch); the decision on the old keys is kept for the record.
    """
    old = renamed.keys()
    moved = overrides[overrides["record_key_l"].isin(old) | overrides["record_key_r"].isin(old)]
    if moved.empty:
        return overrides
    restated = moved.assign(
        record_key_l=moved["record_key_l"].map(lambda k: renamed.get(k, k)),
        record_key_r=moved["record_key_r"].map(lambda k: renamed.get(k, k)),
    )
    every = pd.concat([overrides, ordered(restated)], ignore_index=True)
    return every.drop_duplicates(PAIR, keep="first").sort_values(PAIR, ignore_index=True)


def build_queue(
    candidates: pd.DataFrame,
    previous: pd.DataFrame,
    overrides: pd.DataFrame,
    current_keys: set[str] | None,
    run_id: str,
) -> pd.DataFrame:
    """This run's review pairs plus the earlier ones still open, minus decided pairs.

    With `current_keys`, pairs with a record no longer current are dropped too (None: every
    earlier record is still current, as in an incremental pass).
    """
    fresh = ordered(candidates).assign(first_queued_run=run_id)
    queue = pd.concat([previous, fresh], ignore_index=True).drop_duplicates(PAIR, keep="first")
    decided = set(zip(overrides["record_key_l"], overrides["record_key_r"], strict=True))
    pairs = list(zip(queue["record_key_l"], queue["record_key_r"], strict=True))
    keep = [
        (a, b) not in decided
        and (current_keys is None or (a in current_keys and b in current_keys))
        for a, b in pairs
    ]
    kept = queue[np.array(keep, dtype=bool)]
    return kept[QUEUE_COLUMNS].sort_values(PAIR, ignore_index=True)


def _details(files: list[str], keys: set[str]) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        con.register("wanted", pd.DataFrame({"record_key": sorted(keys)}))
        listed = ", ".join(f"'{f}'" for f in files)
        return con.execute(
            f"""
            select concat_ws('|', _source, _period, _batch_id, cast(_row_number as varchar))
                       as record_key,
                   {", ".join(DETAIL_COLUMNS)}
            from read_parquet([{listed}], union_by_name = true)
            where concat_ws('|', _source, _period, _batch_id, cast(_row_number as varchar))
                  in (select record_key from wanted)
            """
        ).df()
    finally:
        con.close()


def export_queue(identity_root: Path, files: list[str], out: Path) -> int:
    """Write the queue with both records' details to CSV or XLSX; returns the pairs written."""
    queue = read_queue(identity_root)
    keys = set(queue["record_key_l"]) | set(queue["record_key_r"])
    details = _details(files, keys) if keys and files else pd.DataFrame({"record_key": []})
    sheet = queue.reset_index(names="pair")
    for side in ("l", "r"):
        renamed = details.rename(columns={c: f"{c}_{side}" for c in details.columns})
        sheet = sheet.merge(renamed, on=f"record_key_{side}", how="left")
    sheet["decision"] = ""
    sheet["note"] = ""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".xlsx":
        sheet.to_excel(out, index=False)
    elif out.suffix.lower() == ".csv":
        sheet.to_csv(out, index=False)
    else:
        raise ValueError(f"{out}: export to .csv or .xlsx")
    return len(sheet)


def _load_decisions(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".xlsx":
        sheet = pd.read_excel(path, dtype=str)
    elif path.suffix.lower() == ".csv":
        sheet = pd.read_csv(path, dtype=str, keep_default_na=False)
    else:
        raise ValueError(f"{path}: import a .csv or .xlsx review file")
    missing = [c for c in (*PAIR, "decision") if c not in sheet.columns]
    if missing:
        raise ValueError(
            f"{path}: column(s) {', '.join(missing)} missing; import the file that "
            "`review export` wrote, with the decision column filled in"
        )
    return sheet.fillna("")


def import_decisions(identity_root: Path, path: Path, reviewer: str) -> dict[str, int]:
    """Record the filled-in decisions as overrides; blank decisions stay in the queue.

    Counts by decision, the pairs left open, and the decisions naming a record that is not
    current (a batch re-delivered since the export, or an edited key): those take no effect.
    """
    sheet = _load_decisions(path)
    with exclusive(identity_root):  # not during a run, which reads and may restate them
        recover(identity_root)
        return _record_decisions(identity_root, path, sheet, reviewer)


def _record_decisions(
    identity_root: Path, path: Path, sheet: pd.DataFrame, reviewer: str
) -> dict[str, int]:
    """import_decisions() with the identity zone to itself."""
    decision = sheet["decision"].str.strip().str.lower()
    bad = sheet[(decision != "") & ~decision.isin(DECISIONS)]
    if len(bad):
        row = int(bad.index[0]) + 2  # header is line 1
        raise ValueError(
            f"{path}, row {row}: decision {bad['decision'].iloc[0]!r} is not one of "
            f"{', '.join(DECISIONS)} (or blank to leave the pair open); fix it and import again"
        )
    chosen = ordered(sheet[decision != ""].assign(decision=decision[decision != ""]))
    chosen = chosen.assign(reviewer=reviewer, decided_at=datetime.now(UTC).isoformat())
    overrides = pd.concat([read_overrides(identity_root), chosen[OVERRIDE_COLUMNS]])
    overrides = overrides.drop_duplicates(PAIR, keep="last").sort_values(PAIR, ignore_index=True)
    write_parquet(overrides, overrides_path(identity_root))
    decided = set(zip(overrides["record_key_l"], overrides["record_key_r"], strict=True))
    queue = read_queue(identity_root)
    open_pairs = [
        p not in decided for p in zip(queue["record_key_l"], queue["record_key_r"], strict=True)
    ]
    write_parquet(queue[np.array(open_pairs, dtype=bool)], queue_path(identity_root))
    counts = chosen["decision"].value_counts()
    current = _current_keys(identity_root)
    stale = ~(chosen["record_key_l"].isin(current) & chosen["record_key_r"].isin(current))
    return {d: int(counts.get(d, 0)) for d in DECISIONS} | {
        "open": int(sum(open_pairs)),
        "not_current": int(stale.sum()),
    }


def _current_keys(identity_root: Path) -> set[str]:
    links = identity_root / "links.parquet"
    if not links.exists():
        return set()
    return set(pd.read_parquet(links, columns=["record_key"])["record_key"])


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a table atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.to_parquet(tmp, index=False, compression="zstd")
    tmp.replace(path)
