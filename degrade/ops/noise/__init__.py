"""Noise operators: gaussian, poisson (shot), speckle, salt-and-pepper, camera (shot + read in linear light),
isp (a camera pipeline: raw noise demosaicked, noise-reduced and rendered)."""

from degrade.ops.noise import ops  # noqa: F401  (registers the operators)
