"""JPEG round trip on torch tensors (any device): libjpeg's baseline pipeline as batched integer tensor ops.

Every step is libjpeg(-turbo)'s default integer arithmetic: RGB -> YCbCr in 16-bit fixed point
(``jccolor.c``), chroma downsampling by averaging with libjpeg's alternating rounding bias
(``jcsample.c``), level shift and the "islow" 8x8 forward DCT (Loeffler-Ligtenberg-Moschytz with
13-bit constants, ``jfdctint.c``), quantization by the IJG tables scaled for ``quality``
(``jcparam.c``) with rounding half away from zero, dequantization and the islow inverse DCT
(``jidctint.c``) clamped to 0..255, "fancy" triangle-filter chroma upsampling (``jdsample.c``) and
YCbCr -> RGB (``jdcolor.c``). Sides that are not multiples of the MCU (8 px, 16 px along subsampled
axes) are padded as libjpeg pads them (edge pixels replicated; chroma rows below the image copied from
the last downsampled row) and the decoder upsamples only the chroma samples that cover the image. The
result equals OpenCV's libjpeg-turbo round trip bit for bit (tested on photos and noise, every
subsampling, odd sizes). All sample arithmetic is int32, as in libjpeg.
"""

from __future__ import annotations

import torch

from degrade.ops.jpeg.functional import LEVELS

LUMA_TABLE = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)
"""JPEG Annex K.1 luminance quantization table (row-major 8x8), quality 50."""
CHROMA_TABLE = (
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, *([99] * 32),
)
"""JPEG Annex K.2 chrominance quantization table (row-major 8x8), quality 50."""
FACTORS = {"444": (1, 1), "422": (1, 2), "420": (2, 2)}
"""Chroma subsampling -> (vertical, horizontal) factor."""
SCALEBITS = 16
ONE_HALF = 1 << (SCALEBITS - 1)


def fix(x: float, bits: int = SCALEBITS) -> int:
    """libjpeg's FIX(x): ``x`` in fixed point with ``bits`` fractional bits, rounded."""
    return int(x * (1 << bits) + 0.5)


def quant_tables(qualities: list[int], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(luma, chroma) quantization tables, each Nx1x1x1x8x8 float32: the Annex K tables scaled as
    ``jpeg_set_quality`` does (``5000 / q`` below 50, else ``200 - 2 q`` percent, clamped to 1..255)."""
    tables = []
    for base in (LUMA_TABLE, CHROMA_TABLE):
        rows = []
        for q in qualities:
            scale = 5000 // q if q < 50 else 200 - 2 * q
            rows.append([min(max((b * scale + 50) // 100, 1), 255) for b in base])
        tables.append(torch.tensor(rows, dtype=torch.float32, device=device).view(-1, 1, 1, 1, 8, 8))
    return tables[0], tables[1]


def rgb_to_ycc(rgb: torch.Tensor) -> torch.Tensor:
    """Nx3xHxW int32 RGB 0..255 -> int32 YCbCr 0..255 with libjpeg's fixed-point arithmetic."""
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    offset = (128 << SCALEBITS) + ONE_HALF - 1
    y = (fix(0.299) * r + fix(0.587) * g + fix(0.114) * b + ONE_HALF) >> SCALEBITS
    cb = (-fix(0.16874) * r - fix(0.33126) * g + fix(0.5) * b + offset) >> SCALEBITS
    cr = (fix(0.5) * r - fix(0.41869) * g - fix(0.08131) * b + offset) >> SCALEBITS
    return torch.stack([y, cb, cr], dim=1)


def ycc_to_rgb(ycc: torch.Tensor) -> torch.Tensor:
    """Nx3xHxW int32 YCbCr 0..255 -> int32 RGB clamped to 0..255, libjpeg's fixed-point arithmetic."""
    y, cb, cr = ycc[:, 0], ycc[:, 1] - 128, ycc[:, 2] - 128
    r = y + ((fix(1.402) * cr + ONE_HALF) >> SCALEBITS)
    g = y + ((-fix(0.34414) * cb + ONE_HALF - fix(0.71414) * cr) >> SCALEBITS)
    b = y + ((fix(1.772) * cb + ONE_HALF) >> SCALEBITS)
    return torch.stack([r, g, b], dim=1).clamp_(0, 255)


def downsample(c: torch.Tensor, fy: int, fx: int) -> torch.Tensor:
    """NxHxW int32 chroma averaged over fy x fx cells with libjpeg's alternating bias (sides divisible)."""
    if (fy, fx) == (1, 1):
        return c
    n, h, w = c.shape
    total = c.view(n, h // fy, fy, w // fx, fx).sum(dim=(2, 4), dtype=torch.int32)
    cols = torch.arange(w // fx, dtype=torch.int32, device=c.device) % 2
    bias = 1 + cols if fy == 2 else cols  # h2v2: 1, 2, 1, 2, ...; h2v1: 0, 1, 0, 1, ...
    return (total + bias) >> (1 if fy * fx == 2 else 2)


def _fancy_1d(c: torch.Tensor, dim: int, bias_even: int, bias_odd: int, shift: int) -> torch.Tensor:
    """Double ``c`` along ``dim`` with libjpeg's triangle filter: sample 2i is ``3 s[i] + s[i-1]``, sample
    2i+1 is ``3 s[i] + s[i+1]`` (edge samples replicated), plus the bias, shifted right by ``shift``."""
    last = c.shape[dim] - 1
    prev = torch.cat([c.narrow(dim, 0, 1), c.narrow(dim, 0, last)], dim)
    nxt = torch.cat([c.narrow(dim, 1, last), c.narrow(dim, last, 1)], dim)
    even = (3 * c + prev + bias_even) >> shift
    odd = (3 * c + nxt + bias_odd) >> shift
    return torch.stack([even, odd], dim=dim + 1).flatten(dim, dim + 1)


def upsample(c: torch.Tensor, fy: int, fx: int) -> torch.Tensor:
    """NxhxW int32 chroma -> full resolution with libjpeg's fancy upsampling: h2v1 ``(3 s[i] + s[i -/+ 1]
    + 1 / 2) >> 2``; h2v2 column sums ``3 s[r] + s[r -/+ 1]`` then ``(3 t[i] + t[i -/+ 1] + 8 / 7) >> 4``.
    With replicated edges this equals libjpeg's special cases of the outermost samples."""
    if fy == 2:
        c = _fancy_1d(c, 1, 0, 0, 0)
        return _fancy_1d(c, 2, 8, 7, 4)
    return _fancy_1d(c, 2, 1, 2, 2) if fx == 2 else c


CONST_BITS, PASS1_BITS = 13, 2
"""Fixed-point precision of libjpeg's islow DCTs (8-bit samples)."""
C = {k: fix(float(k), CONST_BITS) for k in (
    "0.298631336", "0.390180644", "0.541196100", "0.765366865", "0.899976223", "1.175875602",
    "1.501321110", "1.847759065", "1.961570560", "2.053119869", "2.562915447", "3.072711026")}
"""The islow rotation constants in CONST_BITS fixed point."""


def descale(x: torch.Tensor, n: int) -> torch.Tensor:
    """libjpeg's DESCALE: ``x / 2**n`` rounded half up (arithmetic shift)."""
    return (x + (1 << (n - 1))) >> n


def _odd_part(t4: torch.Tensor, t5: torch.Tensor, t6: torch.Tensor, t7: torch.Tensor) -> tuple:
    """The shared odd-part rotations of the islow DCTs (inputs in the forward DCT's naming)."""
    z5 = (t4 + t6 + t5 + t7) * C["1.175875602"]
    z1 = (t4 + t7) * -C["0.899976223"]
    z2 = (t5 + t6) * -C["2.562915447"]
    z3 = (t4 + t6) * -C["1.961570560"] + z5
    z4 = (t5 + t7) * -C["0.390180644"] + z5
    return (t4 * C["0.298631336"] + z1 + z3, t5 * C["2.053119869"] + z2 + z4,
            t6 * C["3.072711026"] + z2 + z3, t7 * C["1.501321110"] + z1 + z4)


def fdct_1d(x: torch.Tensor, first_pass: bool) -> torch.Tensor:
    """One pass of ``jpeg_fdct_islow`` along the last axis (8 samples, int32); the first pass (rows)
    scales by 2**PASS1_BITS, the second (columns) removes it, leaving the output 8x the true DCT."""
    v = x.unbind(-1)
    t0, t1, t2, t3 = v[0] + v[7], v[1] + v[6], v[2] + v[5], v[3] + v[4]
    t7, t6, t5, t4 = v[0] - v[7], v[1] - v[6], v[2] - v[5], v[3] - v[4]
    t10, t13, t11, t12 = t0 + t3, t0 - t3, t1 + t2, t1 - t2
    n = CONST_BITS - PASS1_BITS if first_pass else CONST_BITS + PASS1_BITS
    out0, out4 = ((t10 + t11) << PASS1_BITS, (t10 - t11) << PASS1_BITS) if first_pass else (
        descale(t10 + t11, PASS1_BITS), descale(t10 - t11, PASS1_BITS))
    z1 = (t12 + t13) * C["0.541196100"]
    out2 = descale(z1 + t13 * C["0.765366865"], n)
    out6 = descale(z1 - t12 * C["1.847759065"], n)
    o7, o5, o3, o1 = (descale(o, n) for o in _odd_part(t4, t5, t6, t7))
    return torch.stack([out0, o1, out2, o3, out4, o5, out6, o7], dim=-1)


def idct_1d(x: torch.Tensor, first_pass: bool) -> torch.Tensor:
    """One pass of ``jpeg_idct_islow`` along the last axis (8 dequantized coefficients, int32): the first
    pass (columns) keeps 2**PASS1_BITS of extra precision, the second (rows) descales to samples."""
    v = x.unbind(-1)
    z1 = (v[2] + v[6]) * C["0.541196100"]
    t2 = z1 - v[6] * C["1.847759065"]
    t3 = z1 + v[2] * C["0.765366865"]
    t0, t1 = (v[0] + v[4]) << CONST_BITS, (v[0] - v[4]) << CONST_BITS
    t10, t13, t11, t12 = t0 + t3, t0 - t3, t1 + t2, t1 - t2
    # the inverse odd part is the forward one with inputs (y7, y5, y3, y1)
    o0, o1, o2, o3 = _odd_part(v[7], v[5], v[3], v[1])
    n = CONST_BITS - PASS1_BITS if first_pass else CONST_BITS + PASS1_BITS + 3
    outs = [t10 + o3, t11 + o2, t12 + o1, t13 + o0, t13 - o0, t12 - o1, t11 - o2, t10 - o3]
    return torch.stack([descale(o, n) for o in outs], dim=-1)


def _blocks(plane: torch.Tensor) -> torch.Tensor:
    """NxHxW (sides multiples of 8) -> N x H/8 x W/8 x 8 x 8 view-ordered blocks."""
    n, h, w = plane.shape
    return plane.view(n, h // 8, 8, w // 8, 8).transpose(2, 3)


def _code_plane(plane: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """NxHxW int32 samples (sides multiples of 8) -> the same after islow DCT, quantization by ``table``
    (Nx1x1x1x8x8), dequantization and islow inverse DCT, clamped to 0..255."""
    n, h, w = plane.shape
    # int32 suffices: libjpeg's islow bounds (8-bit samples, 13 + 2 extra bits) keep every product and
    # sum within 32 bits, which is what libjpeg itself uses where its JLONG is 32-bit (Windows)
    b = _blocks(plane) - 128
    coef = fdct_1d(fdct_1d(b, True).transpose(-1, -2), False).transpose(-1, -2)
    q = table[:, 0].to(torch.int32)
    # jcdctmgr.c: divide the 8x-scaled coefficient by 8 Q, rounding half away from zero
    quant = torch.sign(coef) * ((coef.abs() + 4 * q) // (8 * q))
    pixels = idct_1d(idct_1d((quant * q).transpose(-1, -2), True).transpose(-1, -2), False) + 128
    return pixels.clamp_(0, 255).transpose(2, 3).reshape(n, h, w)


def jpeg_roundtrip(x: torch.Tensor, qualities: list[int], subsampling: str) -> torch.Tensor:
    """JPEG encode + decode of an Nx3xHxW float tensor in [0,1] (sample i at ``qualities[i]``), same shape
    and dtype; pixels are quantized to 8 bits first (rounded), as a JPEG file holds them."""
    h, w = x.shape[-2:]
    fy, fx = FACTORS[subsampling]
    ph, pw = -(-h // (8 * fy)) * 8 * fy, -(-w // (8 * fx)) * 8 * fx
    rgb = (x.float() * 255.0).round_().clamp_(0, 255).to(torch.int32)
    if (ph, pw) != (h, w):
        rgb = torch.nn.functional.pad(rgb.float(), (0, pw - w, 0, ph - h), mode="replicate").to(torch.int32)
    ycc = rgb_to_ycc(rgb)
    luma, chroma = quant_tables(qualities, x.device)
    planes = [_code_plane(ycc[:, 0], luma)[..., :h, :w]]
    hh = -(-h // fy) * fy
    for k in (1, 2):
        # libjpeg downsamples rows padded to a multiple of fy only, then replicates the last chroma row
        # down to the block boundary (jcprepct.c); columns are padded before downsampling (jcsample.c)
        small = downsample(ycc[:, k, :hh].contiguous(), fy, fx)
        small = torch.cat([small, small[:, -1:].expand(-1, ph // fy - small.shape[1], -1)], dim=1)
        small = _code_plane(small.contiguous(), chroma)
        # the decoder upsamples the samples that cover the image only, replicating the last one at the edges
        small = small[..., : -(-h // fy), : -(-w // fx)]
        planes.append(upsample(small, fy, fx)[..., :h, :w])
    out = ycc_to_rgb(torch.stack(planes, dim=1))
    # a table of numpy's v / 255: CUDA divides by a scalar through its reciprocal, one ulp off for some levels
    return torch.from_numpy(LEVELS[0]).to(x.device)[out].to(x.dtype)
