"""Why are two records one person (or not)? The stored evidence, hop by hop.

Reads only the identity zone: links, the evidence of every run, and reviewers' decisions.
Output names records by key and fields by their agreement, never by their values.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import duckdb
import pandas as pd

from konvergensi.resolve.review import read_overrides, read_queue

FIELDS = ("name", "birth_date", "sex", "locus", "nik", "kk")
WEIGHTS = (
    ("name", "mw_name"),
    ("name frequency", "mw_tf_adj_name"),
    ("birth date", "mw_dob"),
    ("sex", "mw_sex"),
    ("locus", "mw_locus"),
)


def _evidence(identity_root: Path, keys: list[str]) -> pd.DataFrame:
    folder = identity_root / "evidence"
    if not any(folder.glob("*.parquet")):
        return pd.DataFrame(columns=["record_key_l", "record_key_r", "status"])
    con = duckdb.connect()
    try:
        con.register("wanted", pd.DataFrame({"record_key": keys}))
        return con.execute(
            f"""
            select * from read_parquet('{folder}/*.parquet', union_by_name = true)
            where record_key_l in (select record_key from wanted)
              and record_key_r in (select record_key from wanted)
            order by run_id
            """
        ).df()
    finally:
        con.close()


def _path(edges: pd.DataFrame, start: str, goal: str) -> list[pd.Series]:
    """Shortest chain of linked evidence rows from start to goal (breadth first)."""
    graph: dict[str, list[tuple[str, int]]] = {}
    for i, (a, b) in enumerate(zip(edges["record_key_l"], edges["record_key_r"], strict=True)):
        graph.setdefault(a, []).append((b, i))
        graph.setdefault(b, []).append((a, i))
    came: dict[str, tuple[str, int] | None] = {start: None}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        if node == goal:
            break
        for nxt, i in graph.get(node, []):
            if nxt not in came:
                came[nxt] = (node, i)
                todo.append(nxt)
    if goal not in came:
        return []
    hops, node = [], goal
    while came[node] is not None:
        node, i = came[node]
        hops.append(edges.iloc[i])
    return hops[::-1]


def describe(row: pd.Series) -> str:
    """One evidence row as a line: tier, outcome, fields, weight and probability."""
    fields = ", ".join(f"{f}: {row[f]}" for f in FIELDS if isinstance(row.get(f), str))
    text = (
        f"  {row['record_key_l']} ~ {row['record_key_r']}\n    tier {row['tier']}, {row['status']}"
    )
    if isinstance(row.get("reason"), str):
        text += f" ({row['reason']})"
    text += f"\n    {fields}"
    if pd.notna(row.get("match_probability")):
        parts = ", ".join(
            f"{field} {row[column]:+.1f}" for field, column in WEIGHTS if pd.notna(row.get(column))
        )
        text += (
            f"\n    match weight {row['match_weight']:.2f} ({parts}), probability "
            f"{row['match_probability']:.4f} (model {row['model_version']})"
        )
    return text + f"\n    run {row['run_id']}"


def explain(identity_root: Path, key_a: str, key_b: str) -> str:
    """A readable answer to "why are these two records one person (or not)?"."""
    links = pd.read_parquet(
        identity_root / "links.parquet", columns=["record_key", "person_id", "match_tier"]
    )
    found = links[links["record_key"].isin([key_a, key_b])].set_index("record_key")
    for key in (key_a, key_b):
        if key not in found.index:
            raise KeyError(
                f"record {key} is not in the current links; keys look like "
                "source|period|batch_id|row_number (see identity/links.parquet)"
            )
    person_a, person_b = found.loc[key_a, "person_id"], found.loc[key_b, "person_id"]
    lines = []
    decided = read_overrides(identity_root)
    pair = (min(key_a, key_b), max(key_a, key_b))
    mine = decided[(decided["record_key_l"] == pair[0]) & (decided["record_key_r"] == pair[1])]
    for row in mine.itertuples():
        lines.append(f"reviewer {row.reviewer} decided '{row.decision}' on {row.decided_at}")
    queue = read_queue(identity_root)
    waiting = queue[(queue["record_key_l"] == pair[0]) & (queue["record_key_r"] == pair[1])]
    for row in waiting.itertuples():
        lines.append(f"in the review queue since run {row.first_queued_run}: {row.reason}")
    if person_a == person_b:
        members = links.loc[links["person_id"] == person_a, "record_key"].tolist()
        evidence = _evidence(identity_root, members)
        linked = evidence[evidence["status"] == "linked"].reset_index(drop=True)
        hops = _path(linked, key_a, key_b)
        lines.insert(0, f"same person {person_a} ({len(members)} records); linked through:")
        lines += [describe(h) for h in hops] or ["  (no stored evidence chain: relink with --full)"]
    else:
        lines.insert(0, f"different persons: {person_a} and {person_b}")
        direct = _evidence(identity_root, [key_a, key_b])
        lines += [describe(row) for _, row in direct.iterrows()]
        if direct.empty and waiting.empty:
            lines.append(
                "  no pair of these two records was scored (no blocking rule brought them together)"
            )
    return "\n".join(lines)
