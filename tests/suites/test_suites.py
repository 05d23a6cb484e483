"""Suite configs: hydra composition and overrides, schema errors, expansions, deterministic cached data."""

from __future__ import annotations

import json

import numpy as np
import pytest

import degrade
from benchmark.suites import CONFIG_DIR, compose_config, list_suites, load_suite
from benchmark.suites.data import center_crop, prepare_task, read_source, task_digest
from benchmark.suites.schema import build_suite
from restorebench.errors import InputError
from restorebench.imageio import read_image, to_uint8

REQUIRED = {"demo", "aio3", "aio5", "cdd11", "mixed-orders", "severity", "jpeg-live1", "real-nr", "defusion-mixed",
            "diffrestorer-mixed", "uprestorer-extra", "realism-noise", "realism-rain", "realism-haze"}


def tiny_cfg(**tasks) -> dict:
    return {
        "name": "tiny",
        "data_root": ".",
        "metrics": ["psnr"],
        "task_defaults": {"source": "skimage:astronaut,coffee", "crop": 48},
        "tasks": tasks,
    }


def test_shipped_suites_are_listed_and_compose():
    assert REQUIRED <= set(list_suites())
    for name in list_suites():
        cfg = compose_config(name)
        assert cfg["name"] == name and cfg["tasks"], name


def test_every_shipped_suite_validates_against_the_registered_operators():
    for name in sorted(REQUIRED):
        suite = load_suite(name, ["data_root=/nonexistent"])
        assert suite.tasks and all(t.kinds for t in suite.tasks), name


def test_hydra_overrides_and_composition():
    base = load_suite("aio3")
    assert [t.name for t in base.tasks] == ["noise15", "noise25", "noise50", "rain", "haze"]
    five = load_suite("aio5")
    assert [t.name for t in five.tasks] == [
        "noise15",
        "noise25",
        "noise50",
        "rain",
        "haze",
        "blur",
        "lowlight",
    ]
    assert five.protocol == base.protocol and five.metrics == base.metrics
    s = load_suite(
        "aio3",
        [
            "task_defaults.limit=3",
            "~tasks.rain",
            "tasks.noise15.seed=7",
            "metrics=[psnr]",
            "data_root=/data",
            "tasks.haze.paired={input:real/in,target:real/gt}",
        ],
    )
    assert [t.name for t in s.tasks] == ["noise15", "noise25", "noise50", "haze"]
    assert s.task("noise15").seed == 7 and s.task("noise25").seed == 0
    assert all(t.limit == 3 for t in s.tasks) and s.metrics == ("psnr",)
    assert s.task("noise15").source == "/data/clean/CBSD68"
    haze = s.task("haze")
    assert haze.paired == {"input": "/data/real/in", "target": "/data/real/gt"} and haze.spec is None
    assert haze.kinds == ("haze",)


def test_bad_configs_give_one_line_errors(tmp_path):
    cases = [
        (lambda: load_suite("nope"), "unknown suite"),
        (lambda: load_suite("aio33"), "unknown suite 'aio33'; did you mean aio3"),
        (lambda: load_suite("aio3", ["tasks.noise15.bogus=1"]), "bogus"),
        (lambda: load_suite("aio3", ["tasks.noise15.spec.op=noise.nope"]), "noise.nope"),
        (lambda: load_suite("aio3", ["task_defaults.limit=0"]), "limit"),
        (lambda: load_suite("aio3", ["protocol=nope"]), "unknown protocol"),
        (lambda: load_suite("aio3", ["metrics=[psnr,sssim]"]), "metrics: unknown metric 'sssim'; did you mean ssim"),
        (lambda: load_suite("real-nr", ["nr_metrics=[niqee]"]), "nr_metrics: unknown metric 'niqee'"),
        (lambda: build_suite(tiny_cfg(a={"spec": {"op": "noise.gaussian", "severity": 9}})), "severity"),
        (lambda: build_suite(tiny_cfg(a={})), "exactly one of 'spec'"),
        (
            lambda: build_suite({**tiny_cfg(a={"noref": True, "kinds": ["noise"]}), "metrics": ["psnr"]}),
            "nr_metrics",
        ),
        (lambda: build_suite(tiny_cfg(a={"paired": {"input": "x"}})), "paired"),
    ]
    for fn, needle in cases:
        with pytest.raises(InputError) as exc:
            fn()
        assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_sweep_and_all_orders_expand():
    sev = load_suite("severity")
    ops = degrade.list_ops()
    assert len(sev.tasks) == 5 * len([o for o in ops if degrade.get(o).severities])
    t = sev.task("noise.gaussian@s4")
    assert (
        t.spec == {"op": "noise.gaussian", "severity": 4} and t.group == "noise.gaussian" and t.severity == 4
    )
    mixed = load_suite("mixed-orders")
    orders = [t.order for t in mixed.tasks]
    assert len(orders) == 6 == len(set(orders))
    assert {tuple(o.split(">")) for o in orders} == {
        ("rain", "snow", "noise"),
        ("rain", "noise", "snow"),
        ("snow", "rain", "noise"),
        ("snow", "noise", "rain"),
        ("noise", "rain", "snow"),
        ("noise", "snow", "rain"),
    }
    for t in mixed.tasks:
        assert [leaf["op"].split(".")[0] for leaf in t.spec["items"]] == t.order.split(">")


def test_the_seed_papers_mixed_suites():
    defusion = load_suite("defusion-mixed", ["task_defaults.source=/data/WED"])
    assert len(defusion.tasks) == 6 == len({t.order for t in defusion.tasks})
    for t in defusion.tasks:
        assert t.source == "/data/WED" and sorted(t.kinds) == ["noise", "rain", "snow"]
        assert {leaf["op"]: leaf.get("params") for leaf in t.spec["items"]}["noise.gaussian"]["sigma"] == 25.0
    diff = load_suite("diffrestorer-mixed")
    assert {t.name: [leaf["op"] for leaf in t.spec["items"]] for t in diff.tasks} == {
        "noise_blur": ["blur.gaussian", "noise.gaussian"],
        "snow_noise": ["snow.layers", "noise.gaussian"],
        "raindrop_noise_blur": ["rain.drops", "blur.gaussian", "noise.gaussian"],
        "jpeg_noise_blur": ["blur.gaussian", "noise.gaussian", "jpeg.compress"],
    }
    assert "psnr" not in diff.metrics and {"lpips", "dists", "fid", "kid"} == set(diff.metrics)
    assert {"niqe", "musiq", "clipiqa"} == set(diff.nr_metrics)


def test_suite_file_path_is_composed_too(tmp_path):
    (tmp_path / "mine.yaml").write_text(
        "name: mine\ndata_root: .\nmetrics: [psnr]\n"
        "tasks:\n  n: {source: 'skimage:coffee', spec: {op: noise.gaussian, severity: 1}}\n"
    )
    s = load_suite(str(tmp_path / "mine.yaml"), ["tasks.n.crop=32"])
    assert s.name == "mine" and s.task("n").crop == 32 and CONFIG_DIR != tmp_path


def test_data_is_deterministic_cached_and_replayable(tmp_path):
    suite = build_suite(
        tiny_cfg(n={"spec": {"op": "noise.gaussian", "ranges": {"sigma": [10, 40]}}, "seed": 3})
    )
    task = suite.task("n")
    first = prepare_task(task, tmp_path / "c1")
    assert first.generated == 2 and [i.image_id for i in first.items] == ["astronaut", "coffee"]
    again = prepare_task(task, tmp_path / "c1")
    assert again.generated == 0 and again.digest == first.digest
    other = prepare_task(task, tmp_path / "c2")
    assert other.digest == first.digest
    for a, b in zip(first.items, other.items):
        assert a.input.read_bytes() == b.input.read_bytes() and a.recipe == b.recipe
    # independent check: the stored input is the recorded recipe replayed on the centre crop, 8-bit rounded
    for item, name in zip(first.items, ["astronaut", "coffee"]):
        clean = center_crop(read_source(f"skimage:{name}"), 48)
        assert np.array_equal(to_uint8(read_image(item.target)), to_uint8(clean))
        assert np.array_equal(to_uint8(read_image(item.input)), to_uint8(degrade.replay(clean, item.recipe)))
    sigmas = [i.recipe["steps"][0]["params"]["sigma"] for i in first.items]
    assert sigmas[0] != sigmas[1] and all(10 <= s <= 40 for s in sigmas)
    manifest = json.loads((first.items[0].input.parent.parent / "manifest.json").read_text())
    assert manifest["digest"] == first.digest and len(manifest["items"]) == 2
    changed = build_suite(
        tiny_cfg(n={"spec": {"op": "noise.gaussian", "ranges": {"sigma": [10, 40]}}, "seed": 4})
    )
    assert task_digest(changed.task("n")) != first.digest
    limited = build_suite(
        {
            **tiny_cfg(n={"spec": {"op": "noise.gaussian", "ranges": {"sigma": [10, 40]}}, "seed": 3}),
            "task_defaults": {"source": "skimage:astronaut,coffee", "crop": 48, "limit": 1},
        }
    )
    one = prepare_task(limited.task("n"), tmp_path / "c3")
    assert len(one.items) == 1 and one.items[0].input.read_bytes() == first.items[0].input.read_bytes()


def test_real_paired_folders_pair_by_stem_and_id_prefix(tmp_path):
    from restorebench.imageio import write_image

    img = np.full((20, 20, 3), 0.5, np.float32)
    for name in ("0001_0.8_0.2.png", "0002.png"):
        write_image(tmp_path / "in" / name, img)
    for name in ("0001.png", "0002.png"):
        write_image(tmp_path / "gt" / name, img)
    cfg = tiny_cfg(h={"paired": {"input": str(tmp_path / "in"), "target": str(tmp_path / "gt")}, "kinds": ["haze"]})
    del cfg["task_defaults"]["crop"]
    td = prepare_task(build_suite(cfg).task("h"), tmp_path / "cache")
    assert [(i.image_id, i.target.name) for i in td.items] == [
        ("0001_0.8_0.2", "0001.png"),
        ("0002", "0002.png"),
    ]


def test_crop_and_limit_apply_to_real_paired_tasks(tmp_path):
    from restorebench.imageio import write_image

    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png", "c.png"):
        img = rng.random((30, 40, 3), dtype=np.float32)
        write_image(tmp_path / "in" / name, img)
        write_image(tmp_path / "gt" / name, 1 - img)
    paired = {"input": str(tmp_path / "in"), "target": str(tmp_path / "gt")}
    suite = build_suite(tiny_cfg(h={"paired": paired, "kinds": ["haze"], "crop": 16, "limit": 2}))
    td = prepare_task(suite.task("h"), tmp_path / "cache")
    assert [i.image_id for i in td.items] == ["a", "b"]
    for it in td.items:
        inp, tgt = read_image(it.input), read_image(it.target)
        assert inp.shape == tgt.shape == (16, 16, 3)
        assert np.array_equal(inp, center_crop(read_image(tmp_path / "in" / f"{it.image_id}.png"), 16))
        assert np.array_equal(tgt, center_crop(read_image(tmp_path / "gt" / f"{it.image_id}.png"), 16))


def test_uprestorer_extra_synthesizes_blur_and_snow_or_reads_real_folders(tmp_path):
    from restorebench.imageio import write_image

    suite = load_suite("uprestorer-extra", ["data_root=/data"])
    assert [(t.name, t.kinds) for t in suite.tasks] == [("blur", ("blur",)), ("snow", ("snow",))]
    assert all(t.source == "/data/clean/CBSD68" and t.paired is None for t in suite.tasks)
    synthetic = load_suite("uprestorer-extra", ["task_defaults.source=skimage:astronaut", "task_defaults.crop=32"])
    for task in synthetic.tasks:
        (item,) = prepare_task(task, tmp_path / "synthetic").items
        assert read_image(item.input).shape == (32, 32, 3)
        assert not np.array_equal(read_image(item.input), read_image(item.target))
    img = np.random.default_rng(0).random((24, 24, 3), dtype=np.float32)
    write_image(tmp_path / "gopro" / "blur" / "f1.png", img)
    write_image(tmp_path / "gopro" / "sharp" / "f1.png", 1 - img)
    real = load_suite("uprestorer-extra", [f"data_root={tmp_path}", "tasks.blur.paired={input:gopro/blur,target:gopro/sharp}"])
    (item,) = prepare_task(real.task("blur"), tmp_path / "real").items
    assert item.image_id == "f1" and np.array_equal(read_image(item.target), read_image(tmp_path / "gopro" / "sharp" / "f1.png"))
