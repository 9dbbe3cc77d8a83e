"""Run the benchmarks: `.venv/bin/python -m bench [NAME ...] [--runs N] [--list]` (from the
repository root; `make bench` runs them all).

Each benchmark is a module in this package listed in BENCHMARKS, exposing
    NAME: str, DESCRIPTION: str, run(runs: int, log=print) -> list[bench.common.Outcome]
An Outcome with passed=False (a missed target) makes the exit status 1; a benchmark that
raises (a VerificationError when systems disagree, or anything else) makes it 2.
To add one (e.g. the API over HTTP, the browser), write bench/<name>_bench.py with that
interface and add its module name here.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
import traceback

BENCHMARKS = [
    "bench.engine_bench",
    "bench.api_bench",        # API over HTTP
    "bench.load_bench",       # load test over HTTP (wrk)
    "bench.page_bench",       # the page in headless Chromium
    "bench.train_bench",      # training over HTTP
    "bench.attack_bench",     # hostile clients: memory and latency under attack
]


def _load(modname):
    mod = importlib.import_module(modname)
    return mod.NAME, mod


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    ap.add_argument("--runs", type=int, default=9, help="timed runs per system (min 7; default 9)")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = ap.parse_args(argv)

    mods = dict(_load(m) for m in BENCHMARKS)
    if args.list:
        for name, mod in mods.items():
            print(f"{name:10s} {mod.DESCRIPTION}")
        return 0
    unknown = [n for n in args.names if n not in mods]
    if unknown:
        ap.error(f"unknown benchmark(s) {', '.join(unknown)}; have {', '.join(mods)}")
    selected = args.names or list(mods)

    print(f"# bench: Python {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs; medians, interleaved runs (noisy machine: compare ratios)",
          flush=True)
    outcomes, crashed = [], []
    t0 = time.perf_counter()
    for name in selected:
        print(f"\n## {name}: {mods[name].DESCRIPTION}", flush=True)
        try:
            outcomes += mods[name].run(runs=args.runs, log=lambda s: print(s, flush=True))
        except Exception as exc:  # keep going: report every benchmark
            crashed.append(name)
            print(f"ERROR in {name}: {type(exc).__name__}: {exc}", flush=True)
            traceback.print_exc(limit=-3)

    print(f"\n## summary ({time.perf_counter() - t0:.1f} s)")
    for o in outcomes:
        if o.passed is not None:
            print(("PASS  " if o.passed else "FAIL  ") + o.name)
    for name in crashed:
        print(f"ERROR {name}")
    if crashed:
        return 2
    return 1 if any(o.passed is False for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
