"""Command line for what people do by hand: `python -m konvergensi <command>`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from konvergensi.config import settings


def _generate(args: argparse.Namespace) -> None:
    from konvergensi.contracts import load_contracts
    from konvergensi.synthetic import generate

    s = settings()
    summary = generate(
        s.zone("landing"),
        s.data_root / "truth",
        load_contracts(s.contracts_dir),
        rows=args.rows,
        seed=args.seed,
        noise_scale=args.noise_scale,
    )
    print(
        f"wrote {summary.total_rows:,} rows in {len(summary.files)} files under "
        f"{s.zone('landing')} ({summary.seconds:.1f} s)"
    )


def _demo(args: argparse.Namespace) -> None:
    from konvergensi.demo import run_demo

    run_demo(rows=args.rows, seed=args.seed)


def _key(args: argparse.Namespace) -> None:
    from konvergensi.keys import airflow_connection_json, ensure_local_key

    key = ensure_local_key()
    print(airflow_connection_json(key) if args.airflow_conn else "local key is in place")


def _require(path: Path, what: str, remedy: str) -> Path:
    """The path, or exit with one line naming what is missing and what to run."""
    if not path.exists():
        raise SystemExit(f"{what}: {path} does not exist; {remedy}")
    return path


_BUILD_WAREHOUSE = (
    "run the ingest DAGs, resolve_identities and build_warehouse first (or `make demo`)"
)
_RESOLVE = "run the ingest DAGs and resolve_identities first (or `python -m konvergensi resolve`)"


def _query(args: argparse.Namespace) -> None:
    from konvergensi.warehouse import open_warehouse

    path = settings().zone("warehouse") / "warehouse.duckdb"
    _require(path, "no warehouse yet", _BUILD_WAREHOUSE)
    con = open_warehouse(path)
    try:
        result = con.execute(args.sql)
        columns = [d[0] for d in result.description]
        print("\t".join(columns))
        for row in result.fetchall():
            print("\t".join("" if v is None else str(v) for v in row))
    finally:
        con.close()


def _identity_root():
    return settings().zone("identity")


def _resolve(args: argparse.Namespace) -> None:
    from konvergensi.pipeline import resolve

    summary = resolve(full=args.full)
    print(
        f"{summary['mode']} run: {summary['records']:,} records ({summary['new_records']:,} new) "
        f"-> {summary['persons']:,} persons, {summary['households']:,} households; "
        f"review queue {summary['review_queue']:,}; {summary['seconds']['total']} s"
    )


def _explain(args: argparse.Namespace) -> None:
    from konvergensi.resolve.explain import explain

    _require(_identity_root() / "links.parquet", "no identity zone yet", _RESOLVE)
    try:
        print(explain(_identity_root(), args.record_a, args.record_b))
    except KeyError as error:
        raise SystemExit(str(error.args[0])) from None


def _review_export(args: argparse.Namespace) -> None:
    import json

    from konvergensi.resolve.review import export_queue

    manifest_path = _require(_identity_root() / "manifest.json", "no identity zone yet", _RESOLVE)
    manifest = json.loads(manifest_path.read_text())
    pairs = export_queue(_identity_root(), manifest.get("files", []), args.path)
    print(
        f"wrote {pairs:,} pairs to {args.path}: fill the decision column with same or "
        "different (blank leaves a pair open), then `review import`. The file holds personal "
        "data: keep it where the identity zone's access rules apply."
    )


def _review_import(args: argparse.Namespace) -> None:
    from konvergensi.resolve.review import import_decisions

    _require(args.path, "no such review file", "import the file `review export` wrote")
    try:
        counts = import_decisions(_identity_root(), args.path, args.reviewer)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    print(
        f"imported {counts['same']} same and {counts['different']} different decisions; "
        f"{counts['open']} pairs stay open. Every later run respects them."
    )
    if counts["not_current"]:
        print(
            f"warning: {counts['not_current']} decisions name a record that is no longer "
            "current (its batch was re-delivered since the export, or the key was edited); "
            "they take no effect: run `review export` again and decide those pairs there."
        )


def _retrain(args: argparse.Namespace) -> None:
    from konvergensi.contracts import load_contracts
    from konvergensi.resolve.run import retrain

    s = settings()
    version = retrain(load_contracts(s.contracts_dir), s.zone("staging"), _identity_root())
    print(
        f"trained model {version}; it is now current. Existing links keep their model until "
        "`konvergensi resolve --full` relinks everything with it."
    )


def _history(args: argparse.Namespace) -> None:
    from konvergensi.quality.history import batch_history, resubmitted_records

    s = settings()
    batches = batch_history(s.zone("staging"), args.source, args.period)
    if not batches:
        raise SystemExit(
            f"no validated delivery of {args.source} for {args.period} in {s.zone('staging')}: "
            "check the source and period (e.g. 2026-09 or 2026-Q3), or run its ingest DAG"
        )
    count = f"{len(batches)} deliveries" if len(batches) > 1 else "1 delivery"
    print(f"{args.source} {args.period}: {count}, oldest first")
    print(
        f"  {'landed at':32} {'batch':16} {'status':7} {'read':>7} {'accepted':>9} "
        f"{'held':>6}  file"
    )
    for b in batches:
        mark = "  <- current" if b["current"] else ""
        print(
            f"  {b['landed_at']:32} {b['batch_id']:16} {b['status']:7} {b['rows_read']:7,} "
            f"{b['rows_accepted']:9,} {b['rows_quarantined']:6,}  {b['file_name']}{mark}"
        )
    rejected = resubmitted_records(
        s.zone("staging"), s.zone("quarantine"), args.source, args.period
    )
    if len(rejected):
        later = rejected["accepted_in_batch"].notna()
        print(
            f"rows held back: {len(rejected):,}; accepted by a later delivery: "
            f"{int(later.sum()):,}; still held: {int((~later).sum()):,} "
            "(rows and reasons: the quarantine zone and the quality report)"
        )


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run one command."""
    parser = argparse.ArgumentParser(prog="konvergensi", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write a generated sample into the landing zone")
    gen.add_argument("--rows", type=int, default=50_000)
    gen.add_argument("--seed", type=int, default=20261129)
    gen.add_argument("--noise-scale", type=float, default=1.0)
    gen.set_defaults(func=_generate)

    demo = commands.add_parser("demo", help="generate a sample and run every DAG end to end")
    demo.add_argument("--rows", type=int, default=50_000)
    demo.add_argument("--seed", type=int, default=20261129)
    demo.set_defaults(func=_demo)

    key = commands.add_parser("key", help="create the local pseudonymisation key if missing")
    key.add_argument("--airflow-conn", action="store_true", help="print it as an Airflow conn")
    key.set_defaults(func=_key)

    query = commands.add_parser("query", help="run SQL against the current warehouse snapshot")
    query.add_argument("sql")
    query.set_defaults(func=_query)

    res = commands.add_parser("resolve", help="link records to persons (incremental by default)")
    res.add_argument("--full", action="store_true", help="relink everything (IDs still kept)")
    res.set_defaults(func=_resolve)

    why = commands.add_parser("explain", help="why are two records one person (or not)?")
    why.add_argument("record_a", help="record key: source|period|batch_id|row_number")
    why.add_argument("record_b")
    why.set_defaults(func=_explain)

    review = commands.add_parser("review", help="clerical review of uncertain pairs")
    steps = review.add_subparsers(dest="step", required=True)
    export = steps.add_parser("export", help="write the review queue to .csv or .xlsx")
    export.add_argument("path", type=Path)
    export.set_defaults(func=_review_export)
    imported = steps.add_parser("import", help="record filled-in decisions as overrides")
    imported.add_argument("path", type=Path)
    imported.add_argument("--reviewer", required=True, help="who decided (kept with each one)")
    imported.set_defaults(func=_review_import)

    train = commands.add_parser("retrain", help="train a new person-model version deliberately")
    train.set_defaults(func=_retrain)

    history = commands.add_parser(
        "history", help="a source's deliveries for one period and what a correction accepted"
    )
    history.add_argument("source", help="the contract's source, e.g. kemenkop_ukm")
    history.add_argument("period", help="e.g. 2026-09 or 2026-Q3")
    history.set_defaults(func=_history)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])
