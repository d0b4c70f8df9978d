"""`python -m bench [name ...] [options]`: run benchmarks and print their figures.

Every module bench/<name>.py (except common, load and private ones) is a benchmark. It exposes
`run(args) -> list[Row]` and may expose `add_arguments(parser)` for its own options; its
docstring's first line is its description in `--list`. With no name, all of them run.
The exit status is 1 when a figure misses its target.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from datetime import date
from types import ModuleType

from bench import common

SKIP = {"common", "load"}


def discover() -> dict[str, ModuleType]:
    import bench

    names = sorted(
        info.name
        for info in pkgutil.iter_modules(bench.__path__)
        if not info.name.startswith("_") and info.name not in SKIP
    )
    return {name: importlib.import_module(f"bench.{name}") for name in names}


def describe(module: ModuleType) -> str:
    return (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""


def parser_for(modules: dict[str, ModuleType]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks on a separate PostgreSQL database (BENCH_DATABASE_URL).",
    )
    parser.add_argument("names", nargs="*", metavar="name", help="benchmarks to run (default all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    parser.add_argument(
        "--cases",
        type=int,
        default=1_000_000,
        help="seed the benchmark database up to this many cases first (default 1,000,000)",
    )
    parser.add_argument(
        "--open-share",
        type=float,
        default=0.1,
        help="share of newly seeded cases left open (default 0.1)",
    )
    parser.add_argument(
        "--runs", type=int, default=30, help="measured calls per timing (default 30)"
    )
    for module in modules.values():
        add = getattr(module, "add_arguments", None)
        if add is not None:
            add(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    common.configure()
    modules = discover()
    parser = parser_for(modules)
    args = parser.parse_args(argv)
    if args.list:
        width = max((len(n) for n in modules), default=0)
        for name, module in modules.items():
            print(f"{name:<{width}}  {describe(module)}")
        return 0
    unknown = [n for n in args.names if n not in modules]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)} (see --list)")
    selected = args.names or list(modules)

    common.prepare_database()
    print(f"Benchmark database: {common.database_url()}", flush=True)
    print(f"Seeding up to {args.cases:,} cases (only the missing ones)...", flush=True)
    total = common.ensure_cases(args.cases, open_share=args.open_share)
    print(f"{total:,} cases present.", flush=True)

    rows: list[common.Row] = []
    for name in selected:
        print(f"\n== {name}: {describe(modules[name])}", flush=True)
        started = time.monotonic()
        found = modules[name].run(args)
        print(common.format_table(found))
        print(f"({time.monotonic() - started:.0f} s)", flush=True)
        rows += found
    print(f"\n== Summary ({date.today():%Y-%m-%d}, {common.machine()})")
    print(common.format_table(rows))
    return 1 if any(row.passed is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
