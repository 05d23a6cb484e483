"""Degradation speed: restorebench operators vs albumentations 2.0.8 / imagecorruptions / kornia 0.9.

CPU section: img/s at SIZE x SIZE, one thread, one image at a time (params sampled every call, as a
data loader would; WARMUP untimed calls first). restorebench works on float32 [0,1]; albumentations runs
on the same float32 image (equal work) and on uint8 (its fast path, often cruder: lookup tables, integer
arithmetic); imagecorruptions gets uint8. Peers get our severity-3 parameters (equal sigma and kernel
size, equal JPEG quality); where a peer does other work the docs say so. Ours and albumentations are
timed in turn, round after round, back to back and with other work between calls (a 64 MB copy, as a data
loader touches other images in between); each cell is the median with the lowest and highest round, each
ratio the median of the per-round ratios. The process keeps freed memory for reuse (``restorebench.memory``,
as restorebench's CLI and corpus workers do) unless ``--default-allocator`` is given; either way both
libraries share it. Batch section: the torch batch path at batch B on --device, beside kornia's
augmentations (the two timed in turn, round after round) and a plain copy of the batch.

    python benchmarks/bench_degrade.py [--device cuda] [--size 512] [--batch 64] [--seconds 1] [--ops 'rain.*']
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import cv2

sys.path.insert(0, os.path.dirname(__file__))
from _timing import interleaved_rates, ratio_rounds, round_rates, single_thread, spread, table

MIXTURE = ["rain.streaks", "noise.gaussian", "snow.layers"]
WARMUP = 50
"""Untimed calls before each CPU measurement: steady state, as in a long data-loader run (our streak and
flake kernels are built once per snapped angle and cached; a cold start pays a few ms per new angle)."""
# our operator -> (albumentations factory, imagecorruptions name, kornia factory); severity 3 throughout.
# Factories take the library module (albumentations / kornia.augmentation) and return a transform.
PEERS = {
    "noise.gaussian": (lambda A: A.GaussNoise(std_range=(0.098, 0.098), p=1), "gaussian_noise",
                       lambda K: K.RandomGaussianNoise(std=0.098, p=1)),
    "blur.gaussian": (lambda A: A.GaussianBlur(blur_limit=(25, 25), sigma_limit=(3, 3), p=1), "",
                      lambda K: K.RandomGaussianBlur((25, 25), (3.0, 3.0), p=1)),  # our sigma 3 kernel: 25x25
    "blur.motion": (lambda A: A.MotionBlur(blur_limit=(15, 15), p=1), "motion_blur",
                    lambda K: K.RandomMotionBlur(15, 35.0, 0.5, p=1)),
    "blur.defocus": (lambda A: A.Defocus(radius=(6, 6), p=1), "defocus_blur", None),  # ImageNet-C severity 3, as ours
    "haze.atmospheric": (lambda A: A.RandomFog(fog_coef_range=(0.5, 0.5), p=1), "fog", None),
    "rain.streaks": (lambda A: A.RandomRain(rain_type="heavy", p=1), "", lambda K: K.RandomRain(p=1)),
    "snow.layers": (lambda A: A.RandomSnow(p=1), "snow", lambda K: K.RandomSnow(p=1)),
    "jpeg.compress": (lambda A: A.ImageCompression(quality_range=(15, 15), p=1), "jpeg_compression",
                      lambda K: K.RandomJPEG(jpeg_quality=15.0, p=1)),
    "lowlight.darken": (lambda A: A.RandomGamma(gamma_limit=(200, 200), p=1), "brightness", None),
    "resize.down": (lambda A: A.Downscale(scale_range=(1 / 3, 1 / 3), interpolation_pair={
        "downscale": cv2.INTER_AREA, "upscale": cv2.INTER_CUBIC}, p=1), "pixelate", None),
}
NO_PEER = (None, "", None)


def pillow_bicubic_down_up(img, factor: float = 3.0):
    """Pillow's antialiased bicubic (Keys a = -0.5, kernel stretched when shrinking: MATLAB imresize's filter)
    on float32 ('F' mode, one channel at a time), down by ``factor`` and back: the work of our resize.down
    at severity 3."""
    import numpy as np
    from PIL import Image

    h, w, _ = img.shape
    small = (round(w / factor), round(h / factor))
    planes = [Image.fromarray(np.ascontiguousarray(img[..., c])) for c in range(3)]
    return np.stack([np.asarray(p.resize(small, Image.BICUBIC).resize((w, h), Image.BICUBIC)) for p in planes], -1)


EQUAL_WORK = {
    "resize.down": ("Pillow bicubic, antialiased, float32, down 3x and back", pillow_bicubic_down_up),
}
"""Operators whose albumentations peer does other (cruder) work -> (description, function of the float32
image) doing the same computation as ours."""
OTHER_WORK_BYTES = 64 << 20
"""The other work between calls in the 'with other work' timing: a copy of this many bytes (as a data loader
reads, decodes and transforms other images between two calls, which evicts the caches)."""


def selected(pattern: str) -> list[str]:
    """Operator names matching ``pattern`` that have a severity table, plus 'mixture' when it matches."""
    import fnmatch

    import degrade

    names = [n for n in degrade.list_ops(pattern) if degrade.get(n).severities]
    if all(n in degrade.list_ops() for n in MIXTURE) and fnmatch.fnmatch("mixture", pattern):
        names.append("mixture")
    return names


def spec_of(name: str) -> dict:
    """Severity-3 spec of an operator, or of the rain -> noise -> snow chain for 'mixture'."""
    if name == "mixture":
        return {"policy": "chain", "items": [{"op": n, "severity": 3} for n in MIXTURE]}
    return {"op": name, "severity": 3}


def cpu_rows(names: list[str], size: int, seconds: float, rounds: int) -> list[list[str]]:
    """One row per operator: ours (float32), albumentations on uint8 and on float32, ratios ours/albumentations
    back to back and with other work between calls, imagecorruptions (uint8)."""
    import albumentations as A
    import numpy as np
    from skimage import data, transform

    import degrade
    from restorebench.seeding import sample_rng

    img = transform.resize(data.astronaut(), (size, size), preserve_range=True).astype(np.float32) / 255.0
    img8 = (img * 255 + 0.5).astype(np.uint8)
    other = [np.zeros(OTHER_WORK_BYTES // 4, np.float32) for _ in range(2)]
    try:
        from imagecorruptions import corrupt
    except ImportError:
        corrupt = None
        print("imagecorruptions is not installed (`make bench` installs it): its column stays empty\n")
    rows = []
    for name in names:
        spec = spec_of(name)
        rng = sample_rng(0, 0)
        albu_make, ic_name, _ = PEERS.get(name, NO_PEER)
        if name == "mixture":
            albu = A.Compose([PEERS[n][0](A) for n in MIXTURE], seed=0)
        else:
            albu = albu_make(A) if albu_make else None
        fns = [lambda: degrade.replay(img, degrade.sample_recipe(spec, rng))]
        if albu is not None:
            fns += [lambda: albu(image=img8)["image"], lambda: albu(image=img)["image"]]
        plain = interleaved_rates(fns, 1, seconds, warmup=WARMUP, rounds=rounds)
        mixed = interleaved_rates(fns, 1, seconds, warmup=0, rounds=rounds, between=lambda: np.copyto(*other))
        ic_rate = None
        if corrupt is not None and ic_name:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ic_rate = round_rates(lambda: corrupt(img8, corruption_name=ic_name, severity=3), 1, seconds,
                                          max_calls=50, repeats=rounds)
            except Exception as exc:  # imagecorruptions 1.1.2 breaks on numpy 2 for some corruptions
                ic_rate = None
                ic_name = f"{ic_name} (fails: {type(exc).__name__})"
        label = " -> ".join(MIXTURE) if name == "mixture" else name
        peer = "rain->noise->snow" if name == "mixture" else type(albu).__name__ if albu is not None else ""
        row = [label, spread(plain[0]), peer]
        if albu is not None:
            row += [spread(plain[1]), spread(plain[2]), spread(ratio_rounds(plain[0], plain[2]), True),
                    spread(ratio_rounds(mixed[0], mixed[2]), True), spread(ratio_rounds(plain[0], plain[1]), True)]
        else:
            row += [""] * 5
        rows.append([*row, ic_name or "", spread(ic_rate)])
    return rows


def equal_work_rows(names: list[str], size: int, seconds: float, rounds: int) -> list[list[str]]:
    """One row per operator in :data:`EQUAL_WORK`: ours and the equal-work peer on the same float32 image, timed
    in turn (back to back), and the ratio."""
    import numpy as np
    from skimage import data, transform

    import degrade
    from restorebench.seeding import sample_rng

    img = transform.resize(data.astronaut(), (size, size), preserve_range=True).astype(np.float32) / 255.0
    rows = []
    for name in (n for n in names if n in EQUAL_WORK):
        spec, rng = spec_of(name), sample_rng(0, 0)
        what, peer = EQUAL_WORK[name]
        rates = interleaved_rates([lambda: degrade.replay(img, degrade.sample_recipe(spec, rng)), lambda: peer(img)],
                                  1, seconds, warmup=WARMUP, rounds=rounds)
        rows.append([name, spread(rates[0]), what, spread(rates[1]), spread(ratio_rounds(rates[0], rates[1]), True)])
    return rows


def batch_rows(names: list[str], device: str, size: int, batch: int, seconds: float, rounds: int) -> list[list[str]]:
    import kornia.augmentation as K
    import torch

    import degrade
    from restorebench.seeding import sample_rng

    sync = torch.cuda.synchronize if device.startswith("cuda") else None
    gen = torch.Generator(device=device).manual_seed(0)
    x = torch.rand(batch, 3, size, size, device=device, generator=gen)
    rows = [["copy of the batch", spread(round_rates(lambda: x.clone(), batch, seconds, sync, repeats=rounds)), "", "",
             ""]]
    for name in names:
        spec = spec_of(name)
        rng = sample_rng(0, 1)
        recipes = [degrade.sample_recipe(spec, rng) for _ in range(batch)]
        if name == "mixture":
            peer = K.AugmentationSequential(*[PEERS[n][2](K) for n in MIXTURE]).to(device)
            label, peer_name = " -> ".join(MIXTURE), "rain->noise->snow"
        else:
            make = PEERS.get(name, NO_PEER)[2]
            peer = make(K).to(device) if make else None
            label, peer_name = name, type(peer).__name__ if peer is not None else ""
        # ours and kornia's in turn, round after round, so that a load that comes and goes hits both alike
        fns = [lambda r=recipes: degrade.replay_batch(x, r)] + ([lambda p=peer: p(x)] if peer is not None else [])
        rates = interleaved_rates(fns, batch, seconds, warmup=1, rounds=rounds, sync=sync)
        ours, peer_rate = rates[0], rates[1] if peer is not None else None
        rows.append([label, spread(ours), peer_name, spread(peer_rate),
                     spread(ratio_rounds(ours, peer_rate), True) if peer_rate else ""])
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", help="device of the batch section (cpu, cuda)")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seconds", type=float, default=1.0, help="time per measurement (all its rounds)")
    p.add_argument("--rounds", type=int, default=5, help="timing rounds per measurement (median and spread)")
    p.add_argument("--skip-cpu", action="store_true", help="only the batch section")
    p.add_argument("--skip-batch", action="store_true", help="only the CPU section")
    p.add_argument("--threads", type=int, default=0,
                   help="host threads of the batch section, for torch and OpenCV alike (default: every core)")
    p.add_argument("--default-allocator", action="store_true",
                   help="leave glibc's malloc thresholds alone (image-sized temporaries then fault in fresh pages)")
    p.add_argument("--ops", default="*", help="shell pattern of operators to time, e.g. 'rain.*' or 'mixture'")
    args = p.parse_args()
    import torch

    names = selected(args.ops)
    if not args.default_allocator:
        from restorebench.memory import keep_freed_memory

        keep_freed_memory()

    if not args.skip_cpu:
        single_thread(keep_memory=not args.default_allocator)
        allocator = "default allocator" if args.default_allocator else "freed memory kept"
        print(f"## CPU, one thread, {allocator}, {args.size}x{args.size}, img/s (severity 3); median (lowest-highest) "
              f"of {args.rounds} rounds\n")
        print(table(["restorebench (float32)", "img/s", "albumentations 2.0.8", "uint8 img/s", "float32 img/s",
                     "ours/albu float32", "same, other work between calls", "ours/albu uint8", "imagecorruptions",
                     "uint8 img/s"],
                    cpu_rows(names, args.size, args.seconds, args.rounds)))
        equal = equal_work_rows(names, args.size, args.seconds, args.rounds)
        if equal:
            print("\n### Where albumentations does other work: a peer doing ours (float32, one thread)\n")
            print(table(["restorebench", "img/s", "equal-work peer", "img/s", "ours/peer"], equal))
    if args.skip_batch:
        return
    threads = args.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"CPU ({torch.get_num_threads()} threads)"
    print(f"\n## torch batch path, {name}, batch {args.batch}, {args.size}x{args.size}, img/s\n")
    print(table(["restorebench", "img/s", "kornia 0.9", "img/s", "ours/kornia"],
                batch_rows(names, args.device, args.size, args.batch, args.seconds, args.rounds)))


if __name__ == "__main__":
    main()
