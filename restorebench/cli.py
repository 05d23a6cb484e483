"""The ``restorebench`` command: a dispatcher over subcommands owned by each layer.

Each subcommand lives in the layer it belongs to and is imported only when it runs, so
``restorebench --help`` is instant and this plumbing package never imports upward at import time.
"""

from __future__ import annotations

import difflib
import importlib
import re
import sys

from restorebench.errors import RestoreBenchError
from restorebench.memory import keep_freed_memory

COMMANDS: dict[str, tuple[str, str]] = {
    "degrade": ("degrade.cli", "degrade a folder of images with a recipe or one operator; writes JSON sidecars"),
    "ops": ("degrade.cli_ops", "list degradation operators, their parameters and severity tables"),
    "run": ("benchmark.cli_run", "run a benchmark suite (restore, score) and write reports/<suite>/ leaderboards"),
    "demo": ("benchmark.cli_run:demo_main", "run the demo suite on bundled photos and print the HTML report's path"),
    "generate": ("degrade.corpus.cli:generate_main", "write a paired corpus (gt/, lq/, manifest.parquet)"),
    "verify": ("degrade.corpus.cli:verify_main", "re-hash a corpus against its manifest (exit 1 if bad)"),
    "grounds": ("degrade.grounds.cli:grounds_main", "write TE42-style visual grounds (test-chart elements) as PNG"),
    "instructions": ("degrade.grounds.cli:instructions_main", "write visual instructions of a recipe and/or a contact sheet"),
    "score": ("benchmark.cli_score", "score restored images against ground truth (or no-reference) under named protocols"),
    "weights": ("benchmark.cli_weights", "list every weight file each metric and model needs, and whether it is present"),
    "models": ("models.cli:models_main", "list restoration methods with family, tasks and availability here"),
    "restore": ("models.cli:restore_main", "restore a folder of images with one method (tiling, progress, resume)"),
    "detect": ("models.detect.cli:detect_main", "detect the degradations of a folder of images (table + summary)"),
    "auto": ("models.detect.cli:auto_main", "restore a folder automatically: detect -> restore -> detect, until clean"),
    "train": ("train.cli", "train a restoration model on a corpus or on pairs degraded on the fly (resumable)"),
    "realism": ("train.cli_realism", "train one restorer per synthesizer (ours and peers'), score each on real pairs"),
}
"""name -> (module with ``main(argv) -> int``, or ``module:function``, one-line help)."""


def plain(doc: str) -> str:
    """A docstring as help text: reST roles and literal markup (``:func:`x```, ````x````) become plain ``x``."""
    return re.sub(r"``([^`]+)``", r"\1", re.sub(r":[a-z]+:`([^`]+)`", r"\1", doc))


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: restorebench COMMAND [ARGS]  (restorebench COMMAND --help for details)", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run ``restorebench COMMAND ...``; errors of restorebench print one line and exit with status 2."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from restorebench import __version__

        print(__version__)
        return 0
    if argv[0] not in COMMANDS:
        close = difflib.get_close_matches(argv[0], COMMANDS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "; see restorebench --help"
        print(f"restorebench: unknown command {argv[0]!r}{hint}", file=sys.stderr)
        return 2
    keep_freed_memory()
    module_name, _, function = COMMANDS[argv[0]][0].partition(":")
    entry = getattr(importlib.import_module(module_name), function or "main")
    try:
        return int(entry(argv[1:]) or 0)
    except RestoreBenchError as exc:
        print(f"restorebench {argv[0]}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
