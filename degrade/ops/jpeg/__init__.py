"""JPEG compression: libjpeg (OpenCV) on the CPU, nvJPEG (torchvision) for 4:4:4 on CUDA tensors."""

from degrade.ops.jpeg import ops  # noqa: F401  (registers the operators)
