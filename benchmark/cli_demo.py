"""``restorebench demo``: entry point of ``make demo`` (see :func:`benchmark.cli_run.demo_main`)."""

from __future__ import annotations

from benchmark.cli_run import demo_main


def main(argv: list[str] | None = None) -> int:
    """Run the demo suite and print the path of its HTML report."""
    return demo_main(argv)
