"""Run every benchmark in bench/ and write bench/results/latest.json.

    .venv/bin/python bench/run.py                      # all of them (what `make bench` does)
    .venv/bin/python bench/run.py initiative_page      # only the ones whose module name contains this
    BENCH_ROUNDS=9 BENCH_SECONDS=3 make bench           # longer, steadier runs

A benchmark is any `bench/bench_<name>.py` with a `run(ctx) -> list[Result]` function; see README.md.
The exit status is non-zero only when a benchmark could not run. A missed target is a result, shown
as FAIL in the table and `"passed": false` in the file, not an error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from harness import BENCH_DIR, BenchError, Context, Options, Progress, Result

RESULTS = BENCH_DIR / "results" / "latest.json"


def discover(filters: list[str]) -> list[str]:
    names = sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))
    if filters:
        names = [name for name in names if any(f in name for f in filters)]
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = Options()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "only", nargs="*", help="run only the benchmarks whose module name contains one of these"
    )
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", defaults.rounds)))
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", defaults.seconds))
    )
    parser.add_argument(
        "--connections", type=int, default=int(os.environ.get("BENCH_CONNECTIONS", defaults.connections))
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def run_one(module_name: str, ctx: Context) -> list[Result]:
    module = importlib.import_module(module_name)
    results = module.run(ctx)
    if not isinstance(results, list) or not all(isinstance(r, Result) for r in results):
        raise BenchError(f"{module_name}.run() must return a list of Result, not {results!r}")
    return results


def table(results: list[Result]) -> str:
    def number(value: float | None, digits: int = 1) -> str:
        return "-" if value is None else f"{value:,.{digits}f}"

    rows = [("benchmark", "value", "baseline", "ratio", "target", "result")]
    for r in results:
        verdict = "ERROR" if "error" in r.details else ("pass" if r.passed else "FAIL")
        value = f"{number(r.value)} {r.unit}".strip()
        rows.append((r.name, value, number(r.baseline), number(r.ratio, 3), number(r.target, 2), verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = discover(args.only)
    if not names:
        print(f"no benchmark matches {args.only}", file=sys.stderr)
        return 2
    # gunicorn runs in its own session, out of reach of Ctrl-C and of a killed parent: turn both
    # signals into exceptions so that the `finally` below always stops it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    options = Options(rounds=args.rounds, seconds=args.seconds, connections=args.connections)
    progress = Progress()
    ctx = Context(options, progress)
    results: list[Result] = []
    errors = 0
    started = time.monotonic()
    try:
        for index, module_name in enumerate(names, 1):
            label = module_name.removeprefix("bench_")
            progress.prefix = f"[{index}/{len(names)} {label}] "
            began = time.monotonic()
            try:
                found = run_one(module_name, ctx)
            except Exception as exc:
                errors += 1
                progress.done()
                traceback.print_exc()
                found = [Result.error(label, f"{type(exc).__name__}: {exc}")]
            results.extend(found)
            progress.done(f"done in {time.monotonic() - began:.0f} s")
    finally:
        progress.prefix = ""
        ctx.close()

    args.output.parent.mkdir(parents=True, exist_ok=True)
    partial = args.output.with_suffix(".json.partial")
    partial.write_text(json.dumps([r.as_json() for r in results], indent=2) + "\n")
    partial.replace(args.output)  # readers never see half a file

    print()
    print(table(results))
    print(f"\n{len(results)} results in {time.monotonic() - started:.0f} s, written to {args.output}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
