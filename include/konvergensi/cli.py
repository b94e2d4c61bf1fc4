"""Command line for what people do by hand: `python -m konvergensi <command>`."""

from __future__ import annotations

import argparse
import sys

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


def _query(args: argparse.Namespace) -> None:
    import duckdb

    path = settings().zone("warehouse") / "warehouse.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    try:
        result = con.execute(args.sql)
        columns = [d[0] for d in result.description]
        print("\t".join(columns))
        for row in result.fetchall():
            print("\t".join("" if v is None else str(v) for v in row))
    finally:
        con.close()


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

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])
