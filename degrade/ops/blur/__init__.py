"""Blur operators: gaussian (isotropic/anisotropic), motion (camera-shake trajectory), defocus (disk), user kernel."""

from degrade.ops.blur import ops  # noqa: F401  (registers the operators)
