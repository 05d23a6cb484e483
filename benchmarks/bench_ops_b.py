"""Weather operators' speed (haze, rain, snow): restorebench vs albumentations 2.0.8 and kornia 0.9.

CPU section: img/s at SIZE x SIZE, one thread, one image at a time, params sampled at severity 3 every
call (as a data loader would); ours on float32, albumentations on uint8 (its fast path). Batch section:
the torch batch path at batch B on --device beside kornia's augmentations.

    python benchmarks/bench_ops_b.py [--device cuda] [--size 512] [--batch 64] [--seconds 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from _timing import fmt, rate, single_thread, table

MIXTURE = ["rain.streaks", "noise.gaussian", "snow.layers"]
ALBU = {"haze.atmospheric": "RandomFog(fog_coef_range=(0.5, 0.5), p=1)",
        "rain.streaks": "RandomRain(rain_type='heavy', p=1)",
        "rain.drops": "",
        "snow.layers": "RandomSnow(p=1)",
        "noise.gaussian": "GaussNoise(std_range=(0.098, 0.098), p=1)"}
KORNIA = {"rain.streaks": "RandomRain(p=1)", "snow.layers": "RandomSnow(p=1)"}
OURS = ["haze.atmospheric", "rain.streaks", "rain.drops", "snow.layers", "mixture"]


def spec_of(name: str) -> dict:
    if name == "mixture":
        return {"policy": "chain", "items": [{"op": n, "severity": 3} for n in MIXTURE]}
    return {"op": name, "severity": 3}


def cpu_rows(size: int, seconds: float) -> list[list[str]]:
    import cv2
    import numpy as np
    from skimage import data

    import degrade
    from restorebench.seeding import sample_rng

    img8 = cv2.resize(data.astronaut(), (size, size), interpolation=cv2.INTER_AREA)
    img = img8.astype(np.float32) / 255.0
    try:
        import albumentations as A
    except ImportError:
        A = None
    rows = []
    for name in OURS:
        rng = sample_rng(0, 0)
        spec = spec_of(name)
        ours = rate(lambda spec=spec, rng=rng: degrade.replay(img, degrade.sample_recipe(spec, rng)), 1, seconds, warmup=20)
        peer, peer_rate = "", None
        if A is not None:
            if name == "mixture":
                peer, tf = "rain->noise->snow", A.Compose([eval("A." + ALBU[n], {"A": A}) for n in MIXTURE], seed=0)
            elif ALBU[name]:
                peer, tf = ALBU[name].split("(")[0], eval("A." + ALBU[name], {"A": A})
            if peer:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    peer_rate = rate(lambda tf=tf: tf(image=img8)["image"], 1, seconds)
        label = " -> ".join(MIXTURE) if name == "mixture" else name
        rows.append([label, fmt(ours), peer, fmt(peer_rate), f"{ours / peer_rate:.2f}x" if peer_rate else ""])
    return rows


def batch_rows(device: str, size: int, batch: int, seconds: float) -> list[list[str]]:
    import torch

    import degrade
    from restorebench.seeding import sample_rng

    sync = torch.cuda.synchronize if device.startswith("cuda") else None
    x = torch.rand(batch, 3, size, size, device=device, generator=torch.Generator(device=device).manual_seed(0))
    try:
        import kornia.augmentation as K
    except ImportError:
        K = None
    rows = []
    for name in OURS:
        rng = sample_rng(0, 1)
        recipes = [degrade.sample_recipe(spec_of(name), rng) for _ in range(batch)]
        ours = rate(lambda recipes=recipes: degrade.replay_batch(x, recipes), batch, seconds, sync, warmup=2)
        src = KORNIA.get(name, "")
        peer_rate = None
        if K is not None and src:
            peer = eval("K." + src, {"K": K}).to(device)
            peer_rate = rate(lambda peer=peer: peer(x), batch, seconds, sync, warmup=2)
        rows.append([name, fmt(ours), src.split("(")[0], fmt(peer_rate), f"{ours / peer_rate:.2f}x" if peer_rate else ""])
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", help="device of the batch section (cpu, cuda)")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    p.add_argument("--skip-cpu", action="store_true", help="only the batch section")
    args = p.parse_args()
    if not args.skip_cpu:
        single_thread()
        print(f"## CPU, one thread, {args.size}x{args.size}, img/s (severity 3)\n")
        print(table(["restorebench", "img/s", "albumentations 2.0.8", "img/s", "ours/albu"], cpu_rows(args.size, args.seconds)))
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"CPU ({os.cpu_count()} threads)"
    print(f"\n## torch batch path, {name}, batch {args.batch}, {args.size}x{args.size}, img/s (severity 3)\n")
    print(table(["restorebench", "img/s", "kornia 0.9", "img/s", "ours/kornia"],
                batch_rows(args.device, args.size, args.batch, args.seconds)))


if __name__ == "__main__":
    main()
