"""Image files <-> float32 RGB arrays. uint8/uint16 exist only here, at the file boundary.

``read_image`` is strict by default (the corpus writer wants 8-bit RGB sources) and can convert
grayscale, opaque RGBA and 16-bit files when asked (``convert=True``; benchmarks on gray sets use it).
Every error is one line that names the file and what to do.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from restorebench.atomic import atomic_path, is_temporary
from restorebench.errors import InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
MAX_PIXELS = 100_000_000
"""Largest image read (pixels, about 10,000 x 10,000); larger files raise InputError instead of exhausting memory."""

Image.MAX_IMAGE_PIXELS = None  # our own MAX_PIXELS check replaces PIL's warning


def list_images(root: str | os.PathLike, recursive: bool = True) -> list[Path]:
    """Image files under ``root`` (by suffix), sorted by their path relative to ``root``.

    Broken and looping symbolic links with an image suffix are listed too (reading them raises InputError
    naming the link), so a batch job reports them; restorebench's own temporary files are never listed.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory; pass a folder of images")
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in root.glob(pattern)
                  if p.suffix.lower() in IMAGE_SUFFIXES and not is_temporary(p) and (p.is_file() or dangling(p)))


def dangling(path: Path) -> bool:
    """True for a symbolic link whose target is missing or that loops back on itself."""
    return path.is_symlink() and not path.exists()


def check_readable(path: Path) -> None:
    """Raise InputError naming ``path`` when it is missing, a broken or looping link, or not a file."""
    if dangling(path):
        raise InputError(f"{path}: broken or looping symbolic link; fix or remove the link")
    if not path.is_file():
        raise InputError(f"{path}: no such file")


def to_rgb_float(arr: np.ndarray) -> np.ndarray:
    """Convert uint8/uint16/float gray, RGB or opaque RGBA arrays to HxWx3 float32 in [0,1]."""
    a = np.asarray(arr)
    if a.dtype == np.uint8:
        a = a.astype(np.float32) / 255.0
    elif a.dtype == np.uint16:
        a = a.astype(np.float32) / 65535.0
    elif np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float32)
    else:
        raise InputError(f"array of dtype {a.dtype}: expected uint8, uint16 or float")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise InputError(f"array of shape {a.shape}: expected HxW, HxWx1, HxWx3 or HxWx4")
    if a.shape[2] == 4:
        if float(a[:, :, 3].min()) < 1.0:
            raise InputError("RGBA array with transparent pixels: composite it onto a background first")
        a = a[:, :, :3]
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    if a.shape[2] != 3:
        raise InputError(f"array with {a.shape[2]} channels: expected 1, 3 or 4")
    return np.ascontiguousarray(a)


def _header(path: Path, data: bytes | None = None) -> Image.Image:
    """Open the header only (no pixel decode): size and mode checks."""
    if data is None:
        check_readable(path)
    try:
        im = Image.open(path if data is None else io.BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: unreadable image ({exc}); re-export or remove the file") from exc
    if im.width * im.height > MAX_PIXELS:
        raise InputError(f"{path}: {im.width}x{im.height} is over {MAX_PIXELS:,} pixels; tile or downscale it first")
    return im


def _decode(path: Path, fmt: str | None, encoded: bytes | None = None) -> np.ndarray:
    """Decode all pixels with OpenCV at their true bit depth (PIL silently drops 16-bit RGB to 8 bits)."""
    import cv2

    data = np.fromfile(path, dtype=np.uint8) if encoded is None else np.frombuffer(encoded, dtype=np.uint8)
    truncated = fmt == "JPEG" and b"\xff\xd9" not in data[-64:].tobytes()
    arr = None if truncated else cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise InputError(f"{path}: unreadable or truncated image; re-export or remove the file")
    if arr.ndim == 3:
        arr = arr[:, :, [2, 1, 0, 3][: arr.shape[2]]] if arr.shape[2] in (3, 4) else arr
    return arr


def image_kind(arr: np.ndarray, mode: str) -> str:
    """'rgb8', 'gray8', 'rgba8', 'gray16', 'rgb16', 'rgba16', 'cmyk' for a decoded array and its PIL mode."""
    if mode == "CMYK":
        return "cmyk"
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    name = {1: "gray", 2: "graya", 3: "rgb", 4: "rgba"}.get(channels, f"{channels}ch")
    return name + ("16" if arr.dtype == np.uint16 else "8" if arr.dtype == np.uint8 else str(arr.dtype))


def read_image(path: str | os.PathLike, convert: bool = False, data: bytes | None = None) -> np.ndarray:
    """Read an image file as HxWx3 float32 RGB in [0,1].

    Strict (default): only 8-bit RGB files pass (palette files count as RGB); grayscale, alpha, 16-bit
    and CMYK raise InputError naming the file. ``convert=True`` replicates gray to RGB, drops a fully
    opaque alpha channel and scales 16-bit by 1/65535 (CMYK JPEGs are converted by the decoder).
    ``data``: the encoded file's bytes when it is not on disk (a dataset cell); ``path`` then only names it.
    """
    return read_image_kind(path, convert, data)[0]


def read_image_kind(path: str | os.PathLike, convert: bool = False,
                    data: bytes | None = None) -> tuple[np.ndarray, str]:
    """:func:`read_image` and the file's kind (see :func:`image_kind`); a kind other than ``rgb8`` was converted."""
    path = Path(path)
    im = _header(path, data)
    arr = _decode(path, im.format, data)
    kind = image_kind(arr, im.mode)
    if kind == "rgb8":
        return arr.astype(np.float32) * np.float32(1 / 255), kind
    if not convert:
        raise InputError(f"{path}: {kind} image; restorebench expects 8-bit RGB (pass convert=True / --convert to convert)")
    try:
        return to_rgb_float(arr), kind
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc


def to_uint8(img: np.ndarray) -> np.ndarray:
    """Quantize float [0,1] to uint8 by rounding (values are clipped to [0,1] first)."""
    return (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def to_uint16(img: np.ndarray) -> np.ndarray:
    """Quantize float [0,1] to uint16 by rounding (values are clipped to [0,1] first)."""
    return (np.clip(img, 0.0, 1.0) * 65535.0 + 0.5).astype(np.uint16)


def as_stored(img: np.ndarray, bits: int = 8) -> np.ndarray:
    """The HxWx3 float32 that writing ``img`` as a ``bits``-bit PNG and reading it back gives, without the file."""
    if bits == 8:
        return to_uint8(img).astype(np.float32) * np.float32(1 / 255)
    if bits == 16:
        return to_rgb_float(to_uint16(img))
    raise InputError(f"bits={bits}: PNG output supports 8 or 16")


def encode_png(img: np.ndarray, bits: int = 8, compress_level: int = 1, fast: bool = False) -> bytes:
    """Encode HxWx3 float [0,1] as PNG bytes (8- or 16-bit); lossless and deterministic.

    Default: OpenCV (libpng + zlib at ``compress_level``, adaptive filters). ``fast=True``: 8-bit images go
    through fpng (its own deflate: much faster than zlib, files somewhat larger on photos); 16-bit images use
    OpenCV with the Up filter and zlib's RLE strategy (faster than the default filters).
    """
    import cv2

    if bits not in (8, 16):
        raise InputError(f"bits={bits}: PNG output supports 8 or 16")
    q = to_uint8(img) if bits == 8 else to_uint16(img)
    if fast and bits == 8:
        import fpng

        return fpng.from_bytes(q.tobytes(), q.shape[1], q.shape[0], 3)
    params = [cv2.IMWRITE_PNG_COMPRESSION, compress_level]
    if fast:
        params += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP,
                   cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
    ok, buf = cv2.imencode(".png", q[:, :, ::-1], params)
    if not ok:
        raise InputError("PNG encoding failed")
    return buf.tobytes()


def write_image(path: str | os.PathLike, img: np.ndarray, bits: int = 8, quality: int = 95) -> Path:
    """Write HxWx3 float [0,1] atomically (temp name, then rename). PNG 8/16-bit, or JPEG/WebP at ``quality``."""
    path = Path(path)
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix == ".png":
            tmp.write_bytes(encode_png(img, bits))
        elif suffix in (".jpg", ".jpeg", ".webp"):
            Image.fromarray(to_uint8(img)).save(tmp, format="JPEG" if suffix != ".webp" else "WEBP", quality=quality)
        elif suffix in (".bmp", ".tif", ".tiff"):
            Image.fromarray(to_uint8(img)).save(tmp, format="BMP" if suffix == ".bmp" else "TIFF")
        else:
            raise InputError(f"{path}: unsupported output suffix {suffix!r}; use .png, .jpg, .webp, .bmp or .tif")
    return path

