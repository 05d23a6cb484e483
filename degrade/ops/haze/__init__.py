"""Haze operators: atmospheric scattering (Koschmieder's model) over a supplied or synthetic depth map."""

from degrade.ops.haze import ops  # noqa: F401  (registers the operators)
