"""Rain operators: layered streaks with the heavy-rain accumulation veil, and raindrops on the lens."""

from degrade.ops.rain import ops  # noqa: F401  (registers the operators)
