"""JPEG compression: libjpeg (OpenCV) on the CPU, the same integer pipeline as tensor ops on accelerators."""

from degrade.ops.jpeg import ops  # noqa: F401  (registers the operators)
