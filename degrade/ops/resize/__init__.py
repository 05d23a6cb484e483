"""Downsampling: MATLAB imresize-compatible bicubic, bilinear and area kernels, optionally resized back."""

from degrade.ops.resize import ops  # noqa: F401  (registers the operators)
