"""Benchmark: our resolver against a plain splink 5 baseline on generated records with truth.

`prepare` generates N source rows and ingests every file (the real staged records); `run`
resolves them in separate processes, each timed with its peak memory and scored against the
generator's truth:
  1. ours, full run (training included) on all files but the last month (2026-09);
  2. ours, incremental run adding the 2026-09 files (~10 % new records) to step 1's state;
  3. ours, full run on all files, from an empty identity zone (training included);
  4. the plain splink 5 baseline (bench/splink_baseline.py) on all files.
`blocking` counts each blocking rule's pairs and reach; `compare` adds the 2026-09 files once
by a delta pass and once by a pass over the whole register and counts what differs.

    .venv/bin/python bench/resolve_bench.py prepare --rows 100000 --root /tmp/kv-resolve-100k
    .venv/bin/python bench/resolve_bench.py run --root /tmp/kv-resolve-100k --repeat 3
    .venv/bin/python bench/resolve_bench.py compare --root /tmp/kv-resolve-100k
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
sys.path.insert(0, str(ROOT / "bench"))

INGEST = (
    "from konvergensi import pipeline as p\n"
    "for source, period in {pairs!r}:\n"
    "    d = p.archive_period(source, period)\n"
    "    s = p.stage(source, d)\n"
    "    p.validate(source, period, s['batch_id'])\n"
)
GENERATE = (
    "from konvergensi.config import settings; from konvergensi.contracts import "
    "load_contracts; from konvergensi.synthetic import generate; s = settings(); "
    "generate(s.zone('landing'), s.data_root / 'truth', load_contracts(s.contracts_dir), "
    "rows={rows})"
)
PERIODS = ("2026-07", "2026-08", "2026-09", "2026-Q3")
NEW_PERIOD = "2026-09"  # the extract an incremental run adds


def child_env(root: Path) -> dict[str, str]:
    """Environment of a child process working on the bench data root."""
    return {**os.environ, "KONVERGENSI_DATA_ROOT": str(root), "PYTHONPATH": str(ROOT / "include")}


def run_child(code: str, root: Path) -> tuple[float, float]:
    """Run Python code in a child process; returns (wall seconds, peak RSS in MB)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=child_env(root))
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"child failed (status {status}): {code[:200]}")
    return elapsed, usage.ru_maxrss / 1024


def prepare(rows: int, root: Path) -> None:
    """Generate and ingest a sample under `root` (replaces what was there)."""
    shutil.rmtree(root, ignore_errors=True)
    wall, _ = run_child(GENERATE.format(rows=rows), root)
    print(f"generated {rows:,} rows in {wall:.1f} s")
    pairs = []
    for folder in sorted((root / "landing").iterdir()):
        for landed in sorted(folder.iterdir()):
            period = next(p for p in PERIODS if p in landed.name)
            pairs.append((folder.name, period))
    wall, peak = run_child(INGEST.format(pairs=pairs), root)
    print(f"ingested {len(pairs)} files in {wall:.1f} s (peak {peak:.0f} MB)")


def truth_of(files: list[str], truth_root: Path):
    """Record key -> true person id, through (source, period, source_record_id)."""
    import duckdb
    import pandas as pd

    from konvergensi.resolve.evaluate import truth_labels

    listed = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    records = duckdb.sql(
        "select concat_ws('|', _source, _period, _batch_id, cast(_row_number as varchar)) "
        f"as record_key, _source, _period, source_record_id from read_parquet({listed}, "
        "union_by_name = true)"
    ).df()
    truth = pd.read_parquet(truth_root / "source_rows.parquet")
    return pd.Series(truth_labels(records, truth), index=records["record_key"])


def child(kind: str, files: list[str], identity: Path, truth_root: Path, out: Path) -> None:
    """One timed resolution in this process; writes timing, memory and accuracy to `out`."""
    import resource

    import pandas as pd

    from konvergensi.resolve.evaluate import cluster_metrics

    started = time.perf_counter()
    summary = {}
    if kind == "baseline":
        from splink_baseline import baseline_clusters

        keys, labels = baseline_clusters(files)
    else:
        from konvergensi.resolve.run import resolve_files

        summary = resolve_files(files, identity)
        links = pd.read_parquet(identity / "links.parquet", columns=["record_key", "person_id"])
        keys, labels = links["record_key"].to_numpy(), links["person_id"].to_numpy()
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    truth = truth_of(files, truth_root).reindex(keys).to_numpy()
    result = {"wall_s": wall, "peak_mb": peak, **cluster_metrics(labels, truth)}
    out.write_text(json.dumps({**result, "summary": summary}, default=str))


def timed(kind: str, files: list[str], identity: Path, root: Path) -> dict:
    """Run `child` in a fresh process and read its result.

    The files the previous step wrote are flushed first (os.sync), so that a step does not
    pay for the disk writes of the one before it.
    """
    out = root / f"bench-{kind}.json"
    args = [kind, json.dumps(files), str(identity), str(root / "truth"), str(out)]
    code = f"import sys; sys.argv = ['x', *{args!r}]; import resolve_bench as b; b.child_main()"
    env = {**child_env(root), "PYTHONPATH": f"{ROOT / 'include'}:{ROOT / 'bench'}"}
    os.sync()
    status = subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode
    if status != 0:
        raise SystemExit(f"{kind} run failed (status {status})")
    return json.loads(out.read_text())


def child_main() -> None:
    """Entry point of a child process (arguments from sys.argv)."""
    kind, files, identity, truth_root, out = sys.argv[1:6]
    child(kind, json.loads(files), Path(identity), Path(truth_root), Path(out))


def id_stability(before: Path, after: Path, registry: Path) -> dict[str, int]:
    """Records whose person ID changed between two runs, and how many changes a merge explains."""
    import pandas as pd

    old = pd.read_parquet(before, columns=["record_key", "person_id"])
    new = pd.read_parquet(after, columns=["record_key", "person_id"])
    both = old.merge(new, on="record_key", suffixes=("_old", "_new"))
    changed = both[both["person_id_old"] != both["person_id_new"]]
    persons = pd.read_parquet(registry)
    redirect = dict(zip(persons["id"], persons["redirect_to"], strict=True))
    explained = changed["person_id_old"].map(redirect) == changed["person_id_new"]
    return {
        "existing_records": len(both),
        "id_changed": len(changed),
        "explained_by_recorded_merge": int(explained.sum()),
    }


def run(root: Path, repeat: int, baseline: bool = True) -> dict:
    """Steps 1-4 of the module doc, `repeat` times; medians of wall time and peak memory."""
    files = current_files(root)
    base = [f for f in files if f"period={NEW_PERIOD}" not in f]
    results: dict[str, list[dict]] = {
        "full_base": [],
        "incremental": [],
        "full": [],
        "baseline": [],
    }
    stability = {}
    for _ in range(repeat):
        work = root / "bench-identity"
        shutil.rmtree(work, ignore_errors=True)
        results["full_base"].append(timed("ours", base, work / "incremental", root))
        shutil.copy(work / "incremental" / "links.parquet", root / "bench-links-before.parquet")
        results["incremental"].append(timed("ours", files, work / "incremental", root))
        stability = id_stability(
            root / "bench-links-before.parquet",
            work / "incremental" / "links.parquet",
            work / "incremental" / "registry" / "person.parquet",
        )
        results["full"].append(timed("ours", files, work / "full", root))
        if baseline:
            results["baseline"].append(timed("baseline", files, work / "baseline", root))
    if not baseline:
        del results["baseline"]
    return {"results": results, "stability": stability, "records": results["full"][0]["records"]}


def report(outcome: dict) -> str:
    """A table of medians (wall, peak) and accuracy of the last repeat."""
    import statistics

    lines = [
        f"records: {outcome['records']:,}",
        f"{'run':12} {'wall s':>8} {'peak MB':>8} {'P':>8} {'R':>8} {'F1':>8} "
        f"{'B3 P':>8} {'B3 R':>8}",
    ]
    for name, runs in outcome["results"].items():
        wall = statistics.median(r["wall_s"] for r in runs)
        peak = statistics.median(r["peak_mb"] for r in runs)
        last = runs[-1]
        lines.append(
            f"{name:12} {wall:8.1f} {peak:8.0f} {last['pairwise_precision']:8.5f} "
            f"{last['pairwise_recall']:8.5f} {last['pairwise_f1']:8.5f} "
            f"{last['bcubed_precision']:8.5f} {last['bcubed_recall']:8.5f}"
        )
    lines.append(f"ID stability over the incremental run: {outcome['stability']}")
    return "\n".join(lines)


def blocking(root: Path) -> str:
    """Pairs and reach of each blocking rule over all records (a full run's residue).

    Reach: residue records whose true person has another record, and the share of them that
    the rules so far pair with at least one true partner (what linking them needs).
    """
    import duckdb
    import pandas as pd

    from konvergensi.resolve.blocking import RULES, rule_pairs_sql
    from konvergensi.resolve.features import load_features
    from konvergensi.resolve.link import prepare_tiers

    files = current_files(root)
    con = duckdb.connect()
    empty = pd.DataFrame({c: pd.Series(dtype="str") for c in ("record_key", "person_id")})
    load_features(con, files, empty.assign(household_id="", match_tier=""), False)
    prepare_tiers(con, set())
    keys = con.execute("select rid, record_key, residue from features order by rid").df()
    truth = truth_of(files, root / "truth").reindex(keys["record_key"]).to_numpy()
    con.register("truth", pd.DataFrame({"rid": keys["rid"], "person": truth}))
    con.execute("create table tp as select rid, person from truth")
    needing = con.execute(
        "select count(*) from features f join tp using (rid) where f.residue and "
        "(select count(*) from tp t where t.person = tp.person) > 1"
    ).fetchall()[0][0]
    lines = [
        f"records {len(keys):,}, residue {int(keys['residue'].sum()):,}, "
        f"residue with a true partner {needing:,}",
        f"{'rule':28} {'pairs':>10} {'true':>8} {'reach (cumulative)':>20}",
    ]
    con.execute("create table found (rid bigint)")
    for number, (name, columns) in enumerate(RULES):
        con.execute(f"create or replace table pairs as {rule_pairs_sql(number, columns)}")
        pairs, true = con.execute(
            "select count(*), count(*) filter (where a.person = b.person) from pairs p "
            "join tp a on a.rid = p.rid_l join tp b on b.rid = p.rid_r"
        ).fetchall()[0]
        con.execute(
            "insert into found select f.rid from pairs p "
            "join tp a on a.rid = p.rid_l join tp b on b.rid = p.rid_r "
            "join features f on f.rid in (p.rid_l, p.rid_r) "
            "where a.person = b.person and f.residue"
        )
        reached = con.execute("select count(distinct rid) from found").fetchall()[0][0]
        lines.append(f"{name:28} {pairs:10,} {true:8,} {reached / max(needing, 1):20.4f}")
    return "\n".join(lines)


def compare(root: Path) -> str:
    """A delta pass against a whole-register pass over the same new files, from one base state.

    Links all files but the 2026-09 month, then adds 2026-09 twice: by a delta pass and, with
    the state file removed, by a pass over the whole register. Counts what differs.
    """
    import pandas as pd

    from konvergensi.resolve.review import queue_path
    from konvergensi.resolve.run import resolve_files
    from konvergensi.resolve.state import STATE

    files = current_files(root)
    work = root / "bench-compare"
    shutil.rmtree(work, ignore_errors=True)
    resolve_files([f for f in files if f"period={NEW_PERIOD}" not in f], work / "base")
    runs = {}
    for mode in ("delta", "whole"):
        shutil.copytree(work / "base", work / mode)
        if mode == "whole":
            (work / mode / STATE).unlink()
        summary = resolve_files(files, work / mode)
        links = pd.read_parquet(work / mode / "links.parquet").set_index("record_key")
        evidence = pd.read_parquet(work / mode / "evidence")
        evidence = evidence[evidence["run_id"] == summary["run_id"]]
        low = evidence[["record_key_l", "record_key_r"]].min(axis=1)
        high = evidence[["record_key_l", "record_key_r"]].max(axis=1)
        cited = set(zip(low, high, evidence["tier"], evidence["status"], strict=True))
        queue = pd.read_parquet(queue_path(work / mode))
        queued = set(zip(queue["record_key_l"], queue["record_key_r"], strict=True))
        runs[mode] = (summary, links.sort_index(), cited, queued)
    (delta, d_links, d_cited, d_queued), (whole, w_links, w_cited, w_queued) = runs.values()
    columns = ("person_id", "household_id", "match_tier")
    differ = {c: int((d_links[c] != w_links[c]).sum()) for c in columns}
    lines = [
        f"modes: {delta['mode']} (scope {delta.get('scope_records')}, settled "
        f"{delta.get('settled_by_nik')}) vs {whole['mode']} over the whole register",
        f"records {len(d_links):,}; person IDs that differ {differ['person_id']}, household IDs "
        f"{differ['household_id']}, match tiers {differ['match_tier']}",
        f"evidence rows of the run: {len(d_cited):,} vs {len(w_cited):,}, "
        f"{len(d_cited ^ w_cited)} cited by one pass only",
        f"review queue: {len(d_queued):,} vs {len(w_queued):,} pairs, "
        f"{len(d_queued ^ w_queued)} in one queue only",
    ]
    return "\n".join(lines)


def current_files(root: Path) -> list[str]:
    """accepted.parquet of the current batch of every source and period under root."""
    from konvergensi.staging_zone import current_batches

    staging = root / "staging"
    return sorted(
        str(path)
        for source in sorted(p.name for p in staging.iterdir())
        for path in current_batches(staging, source).values()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare", help="generate and ingest a sample")
    prep.add_argument("--rows", type=int, default=100_000)
    prep.add_argument("--root", type=Path, required=True)
    bench = commands.add_parser("run", help="time and score ours and the baseline")
    bench.add_argument("--root", type=Path, required=True)
    bench.add_argument("--repeat", type=int, default=1)
    bench.add_argument("--no-baseline", action="store_true", help="time only our resolver")
    rules = commands.add_parser("blocking", help="pairs and reach of each blocking rule")
    rules.add_argument("--root", type=Path, required=True)
    versus = commands.add_parser("compare", help="a delta pass against a whole-register pass")
    versus.add_argument("--root", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.rows, args.root)
        return
    if args.command == "blocking":
        print(blocking(args.root))
        return
    if args.command == "compare":
        print(compare(args.root))
        return
    outcome = run(args.root, args.repeat, baseline=not args.no_baseline)
    (args.root / "bench-result.json").write_text(json.dumps(outcome, indent=2, default=str))
    print(report(outcome))


if __name__ == "__main__":
    main()
