"""Where an incremental run's time goes: every DuckDB statement of one run, timed.

Links all files but the 2026-09 month once (kept in DIR/profile-base, reused while it exists),
then adds the 2026-09 files to a fresh copy of that state in this process, timing each
statement the resolver sends to DuckDB, grouped by the function that sent it; what the
statements do not account for is Python. Uses a sample made by `resolve_bench.py prepare`.

    .venv/bin/python bench/resolve_profile.py --root /tmp/kv-resolve-1m --repeat 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
sys.path.insert(0, str(ROOT / "bench"))

from resolve_bench import NEW_PERIOD, child_env, current_files  # noqa: E402


class TimedConnection:
    """A DuckDB connection that adds each statement's time to `spent` under its sender."""

    def __init__(self, con, spent: dict[str, list[float]]) -> None:
        self._con = con
        self._spent = spent

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def execute(self, query, *args, **kwargs):
        caller = sys._getframe(1)
        module = Path(caller.f_code.co_filename).stem
        statement = " ".join(str(query).split())[:60]
        started = time.perf_counter()
        result = self._con.execute(query, *args, **kwargs)
        self._spent[f"{module}.{caller.f_code.co_name}: {statement}"].append(
            time.perf_counter() - started
        )
        return result


def profile(root: Path, repeat: int, top: int) -> str:
    """Time `repeat` incremental runs on copies of one base state; the last run's statements."""
    from konvergensi.resolve import run

    os.environ.update(child_env(root))
    files = current_files(root)
    base = root / "profile-base"
    if not (base / "manifest.json").exists():
        shutil.rmtree(base, ignore_errors=True)
        run.resolve_files([f for f in files if f"period={NEW_PERIOD}" not in f], base)
    spent: dict[str, list[float]] = defaultdict(list)
    connect = run.quiet_connection
    run.quiet_connection = lambda con=None: TimedConnection(connect(con), spent)
    lines = []
    try:
        for attempt in range(1, repeat + 1):
            work = root / "profile-work"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(base, work)
            os.sync()
            spent.clear()
            started = time.perf_counter()
            summary = run.resolve_files(files, work)
            wall = time.perf_counter() - started
            in_sql = sum(sum(times) for times in spent.values())
            lines.append(
                f"run {attempt}: {wall:.2f} s ({summary['mode']}, {summary['new_records']:,} new, "
                f"scope {summary.get('scope_records')}); DuckDB statements {in_sql:.2f} s, "
                f"the rest (Python) {wall - in_sql:.2f} s"
            )
    finally:
        run.quiet_connection = connect
    lines.append(f"slowest statements of run {repeat} (seconds, count, sender: statement):")
    ranked = sorted(spent.items(), key=lambda item: -sum(item[1]))[:top]
    lines += [f"{sum(times):7.3f} {len(times):3d}  {key}" for key, times in ranked]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    print(profile(args.root, args.repeat, args.top))


if __name__ == "__main__":
    main()
