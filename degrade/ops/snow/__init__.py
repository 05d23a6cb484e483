"""Snow operators: depth layers of falling flakes over a whitening veil."""

from degrade.ops.snow import ops  # noqa: F401  (registers the operators)
