"""Low-light synthesis: exposure reduction and gamma in linear light, plus the sensor noise of a dark capture."""

from degrade.ops.lowlight import ops  # noqa: F401  (registers the operators)
