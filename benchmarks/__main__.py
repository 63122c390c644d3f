"""``python -m benchmarks [NAME ...]``: run, print a table, write JSON."""

import json
import pathlib
import platform
import sys
import time

# Before anything loads Heat's plugins (backend_overhead does): embedded Heat
# needs oslo.service's threading backend chosen first.
from heat_deltacloud.heat import embedded  # noqa: I001

from benchmarks import (backend_overhead, client_parsing, concurrency,
                        mock_throughput, request_budget, scaling, signals,
                        translator_scaling)

RESULTS = pathlib.Path(__file__).parent / "results"


def _heat():
    # Heat's real 1 s poll schedule: request counts are not inflated.
    return embedded.start(poll_seconds=1.0)


SUITES = {
    "request_budget": lambda: request_budget.run(_heat()),
    "client_parsing": client_parsing.run,
    "mock_throughput": mock_throughput.run,
    "concurrency": lambda: concurrency.run(_heat()),
    "backend_overhead": lambda: backend_overhead.run(_heat()),
    "translator_scaling": translator_scaling.run,
    "signal_roundtrip": lambda: signals.roundtrip(_heat()),
    "signal_concurrency": lambda: signals.concurrency(_heat()),
    "stack_scaling": lambda: scaling.stack_scaling(_heat()),
    "cfn_events": lambda: scaling.cfn_events(_heat()),
}

USAGE = """usage: python -m benchmarks [NAME ...]

Runs the named benchmarks (all when none is named), prints a table per
benchmark and writes benchmarks/results/latest.json.  Names: {names}.
See docs/source/contributor/benchmarks.rst."""


def table(name, rows):
    print(f"\n== {name}")
    shown = [{k: v for k, v in row.items() if k != "routes"}
             for row in rows]
    keys = list(shown[0])
    widths = {k: max(len(k), *(len(str(r[k])) for r in shown))
              for k in keys}
    print("  ".join(k.ljust(widths[k]) for k in keys))
    for row in shown:
        print("  ".join(str(row[k]).ljust(widths[k]) for k in keys))
    for row in rows:
        if "routes" in row:
            print(f"  routes, {row['servers']} servers, discovery "
                  f"{row['discovery']}: "
                  + ", ".join(f"{k}={v}" for k, v in row["routes"].items()))


def main(argv):
    if any(arg in ("-h", "--help") for arg in argv):
        print(USAGE.format(names=", ".join(SUITES)))
        return 0
    wanted = argv or list(SUITES)
    report = {"date": time.strftime("%Y-%m-%d %H:%M:%S"),
              "machine": {"python": platform.python_version(),
                          "platform": platform.platform()},
              "results": {}}
    unknown = sorted(set(wanted) - set(SUITES))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from "
              f"{', '.join(SUITES)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        for name in wanted:
            began = time.perf_counter()
            rows = SUITES[name]()
            report["results"][name] = rows
            report.setdefault("seconds", {})[name] = round(
                time.perf_counter() - began, 1)
            table(name, rows)
    finally:
        embedded.shutdown()
    report["seconds"]["total"] = round(time.perf_counter() - started, 1)
    print("\nseconds: " + ", ".join(f"{k} {v}"
                                     for k, v in report["seconds"].items()))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
    print(f"\nwritten {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
