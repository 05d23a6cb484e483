"""Benchmark layer: metrics, scoring protocols and the scoring harness (suites and runners build on them)."""
