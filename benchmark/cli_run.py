"""``restorebench run`` and ``restorebench demo``: run a benchmark suite and write its report.

    restorebench run --suite aio3 --models identity,nlm,dcp,dncnn-color-blind
    restorebench run --suite cdd11 --models classical task_defaults.limit=8 data_root=../shared/data
    restorebench demo            # the bundled-photo suite with every method runnable here

Positional ``key=value`` arguments are hydra overrides of the suite config. ``--models`` takes names, shell
patterns (``dncnn*``) and the keywords ``available`` (every registry entry runnable here), ``all``,
``classical``, ``learned``, ``all-in-one``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from restorebench.cli import plain
from restorebench.engine import Engine
from restorebench.errors import InputError

KEYWORDS = ("available", "all", "classical", "learned", "all-in-one")


def select_models(spec: str) -> list[str]:
    """Registry names selected by a comma list of names, patterns and keywords (order kept, no repeats)."""
    import models

    out: list[str] = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        if part == "available":
            names = [n for n in models.list_models() if models.availability(n)[0]]
        elif part == "all":
            names = models.list_models()
        elif part in KEYWORDS:
            names = models.list_models(family=part)
        else:
            names = models.list_models(part)
            if not names:
                models.info(part)  # raises InputError with suggestions
        out += [n for n in names if n not in out]
    if not out:
        raise InputError(f"--models {spec!r} selects no method; see `restorebench models`")
    return out


def _parser(prog: str, demo: bool) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description=plain(__doc__.split("\n\n")[0])
        if not demo
        else "Run the demo suite (scikit-image's bundled photos) with every method runnable "
        "here and print the path of the HTML report.",
    )
    if not demo:
        p.add_argument(
            "--suite", required=True, help="shipped suite name (see --list) or a path to a suite .yaml"
        )
        p.add_argument("--list", action="store_true", help="list the shipped suites and exit")
    p.add_argument(
        "--models",
        default="available",
        help=f"comma list of names, patterns or keywords ({', '.join(KEYWORDS)}); default: available",
    )
    p.add_argument("--out", default=None, help="report folder (default: reports/<suite>)")
    p.add_argument(
        "--work",
        default=None,
        help="cache of restored images and scores (default: "
        "$RESTOREBENCH_CACHE/runs/<suite> or ~/.cache/restorebench/runs/<suite>)",
    )
    p.add_argument("--cache", default=None, help="suite data cache (default: $RESTOREBENCH_CACHE/suites)")
    p.add_argument("--device", default="cpu", help="torch device for learned methods and metrics (cpu, cuda)")
    p.add_argument("--retry-failed", action="store_true", help="re-run images a method failed on before")
    p.add_argument("--engine", choices=("serial", "dask"), default="serial",
                   help="dask: restore and score chunks of images as tasks on a Dask cluster")
    p.add_argument("--workers", type=int, default=1, help="workers of the local Dask cluster (default 1)")
    p.add_argument("--dask-address", default=None, help="scheduler of a running Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--chunk", type=int, default=16, help="images per Dask task (default 16)")
    p.add_argument(
        "--gallery-images", type=int, default=None, help="images per task in the gallery (default 2)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument(
        "overrides", nargs="*", help="hydra overrides of the suite config, e.g. task_defaults.limit=5"
    )
    return p


def run_and_report(suite: Any, names: list[str], out: Path, work: Path | None = None, cache: Path | None = None,
                   device: str = "cpu", retry_failed: bool = False, quiet: bool = False, engine: Engine | None = None,
                   chunk: int = 16, gallery_images: int | None = None) -> tuple[Any, dict[str, Path]]:
    """Run the registry methods ``names`` on ``suite`` and write its report to ``out``; returns the
    :class:`benchmark.runner.RunResult` and the report's paths by kind."""
    from benchmark.report import write_report
    from benchmark.runner import registry_methods, run_suite

    if chunk < 1:
        raise InputError(f"--chunk {chunk}: need at least 1 image per task")
    rr = run_suite(suite, registry_methods(names, device), work_dir=work, cache_dir=cache, device=device,
                   retry_failed=retry_failed, quiet=quiet, engine=engine, chunk=chunk)
    return rr, write_report(rr, out, gallery_images=gallery_images)


def execute(suite_name: str, args: argparse.Namespace) -> Path:
    """Load the suite, run the selected methods, write the report; returns the leaderboard HTML path."""
    from benchmark.leaderboard import to_markdown
    from benchmark.report import leaderboard_for
    from benchmark.suites import load_suite

    bad = [o for o in args.overrides if "=" not in o and not o.startswith("~")]
    if bad:
        raise InputError(f"argument {bad[0]!r}: suite overrides are key=value (or ~key); see --help")
    suite = load_suite(suite_name, args.overrides)
    names = select_models(args.models)
    gpu = {"GPU": 1} if args.device.startswith("cuda") else {}
    engine = Engine(args.engine, args.workers, args.dask_address, resources=gpu)
    out = Path(args.out) if args.out else Path("reports") / suite.name
    rr, paths = run_and_report(suite, names, out, work=args.work and Path(args.work),
                               cache=args.cache and Path(args.cache), device=args.device,
                               retry_failed=args.retry_failed, quiet=args.quiet, engine=engine, chunk=args.chunk,
                               gallery_images=args.gallery_images)
    t = rr.timings
    print(
        f"{suite.name}: data {rr.data_hash[:16]}  generate {t['generate']:.1f}s  load {t['load']:.1f}s  "
        f"restore {t['restore']:.1f}s  score {t['score']:.1f}s  report {t['report']:.1f}s"
    )
    for m, reason in rr.status.items():
        if reason is not None:
            print(f"  n/a {m}: {reason}")
    print(to_markdown(leaderboard_for(rr)).rstrip())
    return paths["html"]


def main(argv: list[str] | None = None) -> int:
    """``restorebench run``."""
    args = _parser("restorebench run", demo=False).parse_args(argv)
    if args.list:
        from benchmark.suites import list_suites

        print("\n".join(list_suites()))
        return 0
    print(f"report: {execute(args.suite, args).resolve()}")
    return 0


def demo_main(argv: list[str] | None = None) -> int:
    """``restorebench demo``: the demo suite with every available method; prints the HTML report's path."""
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    args = _parser("restorebench demo", demo=True).parse_args(argv)
    html = execute("demo", args)
    print(f"\nHTML report: {html.resolve()}\ngallery:     {html.with_name('gallery.html').resolve()}")
    return 0
