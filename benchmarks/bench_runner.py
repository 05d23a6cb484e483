"""Where a suite run's wall time goes: generate / load / restore / score / report, cold and with warm caches.

    python benchmarks/bench_runner.py                          # demo suite, classical methods, CPU
    python benchmarks/bench_runner.py --suite aio3 --models classical --device cuda data_root=../shared/data \
        task_defaults.limit=5

Runs the suite twice in a fresh temporary work folder and data cache: the first run (cold) does all the work,
the second (warm) finds every piece cached and shows the runner's own overhead. Prints one table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--suite", default="demo")
    p.add_argument("--models", default="classical", help="as for `restorebench run --models`")
    p.add_argument("--device", default="cpu")
    p.add_argument("overrides", nargs="*", help="hydra overrides of the suite config")
    args = p.parse_args(argv)

    from benchmark.cli_run import select_models
    from benchmark.report import write_report
    from benchmark.runner import registry_methods, run_suite
    from benchmark.suites import load_suite

    suite = load_suite(args.suite, args.overrides)
    names = select_models(args.models)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            rr = run_suite(
                suite,
                registry_methods(names, args.device),
                Path(tmp) / "work",
                Path(tmp) / "data",
                device=args.device,
                quiet=True,
            )
            write_report(rr, Path(tmp) / "report")
            rr.timings["wall"] = time.perf_counter() - t0
            rows.append((label, dict(rr.timings), dict(rr.counts)))
    print(f"suite {suite.name} ({len(suite.tasks)} tasks), methods: {', '.join(names)}, device {args.device}")
    phases = ["generate", "load", "restore", "score", "report", "wall"]
    print(f"| run | {' | '.join(phases)} | generated | restored | scored |")
    print("|---|" + "---:|" * (len(phases) + 3))
    for label, t, c in rows:
        print(
            f"| {label} | "
            + " | ".join(f"{t.get(ph, 0.0):.2f} s" for ph in phases)
            + f" | {c['generated']} | {c['restored']} | {c['scored']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
