"""Per-image conditioning in the suite runner: a recording method shows that every image gets the instruction
made from its own recipe and the prompt of its own degradations; real photos without a recipe get an
estimated instruction (noise; any kind with a detector) or are n/a with the reason; the results record what each image was given."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from benchmark.conditioning import (
    ConditionUnavailable,
    condition,
    describe,
    estimated_recipe,
    instruction_seed,
    prompt_words,
)
from benchmark.leaderboard import build_leaderboard
from benchmark.report import write_report
from benchmark.runner import Method, run_suite
from benchmark.suites.schema import build_suite
from degrade.instructions import make_instruction
from degrade.labels import LABELS
from models.detect import Detection
from models.inputs import instruction_spec, prompt_spec
from models.registry import parse_entry
from models.restorer import ModelInfo, Restorer
from restorebench.errors import InputError
from restorebench.imageio import read_image

GROUND = {"ground": "simple", "size": 32, "ground_seed": 0}


class Recorder(Restorer):
    """Returns its input and records every (input, prompt, instruction) it received, as numpy HxWx3 / str."""

    def __init__(self, info: ModelInfo):
        super().__init__(info)
        self.received: list[tuple[np.ndarray, str | None, np.ndarray | None]] = []

    def prepare(self, x, prompt, instruction):
        return {"prompt": prompt, "instruction": instruction}

    def forward(self, x, prompt=None, instruction=None):
        for i in range(x.shape[0]):
            ins = None if instruction is None else instruction[i].permute(1, 2, 0).cpu().numpy()
            self.received.append((x[i].permute(1, 2, 0).cpu().numpy(), None if prompt is None else prompt[i], ins))
        return x


def recorder(inputs: dict, detector=None) -> tuple[Recorder, Method]:
    info = ModelInfo(name="recorder", family="all-in-one", adapter="tests:recorder", tasks=("all",), paper="-",
                     code={}, inputs=inputs)
    rec = Recorder(info)
    return rec, Method("recorder", lambda: rec.restore_image, inputs=inputs, detector=detector)


def suite(tasks: dict):
    return build_suite({"name": "cond", "data_root": ".", "protocol": "rgb", "metrics": ["psnr"],
                        "nr_metrics": ["niqe"],
                        "task_defaults": {"source": "skimage:astronaut,coffee,chelsea", "crop": 40, "seed": 5},
                        "tasks": tasks})


def scorer(preds, targets, ids, metrics, protocol):
    return pd.DataFrame([{"image_id": i, "metric": m, "value": float(p.mean())}
                         for p, i in zip(preds, ids) for m in metrics])


def run(tmp_path, tasks: dict, method: Method):
    return run_suite(suite(tasks), [method], tmp_path / "work", tmp_path / "cache", scorer=scorer, quiet=True)


SYNTHETIC = {
    # sigma drawn per image: each image has its own recipe
    "noise": {"spec": {"op": "noise.gaussian", "ranges": {"sigma": [5, 60]}}},
    "rain-noise": {"spec": {"policy": "shuffle", "items": [{"op": "rain.streaks", "severity": 2},
                                                           {"op": "noise.gaussian", "severity": 1}]}},
}


def test_every_image_gets_the_instruction_and_prompt_of_its_own_recipe(tmp_path):
    rec, method = recorder({"instruction": GROUND, "prompt": "task"})
    rr = run(tmp_path, SYNTHETIC, method)
    assert len(rec.received) == 6
    by_input = {x.tobytes(): (p, ins) for x, p, ins in rec.received}
    seen = set()
    for td in rr.data.values():
        for item in td.items:
            prompt, got = by_input[read_image(item.input, convert=True).tobytes()]
            want = make_instruction(item.recipe, instruction_seed(td.task, item), "simple", 32, ground_seed=0)
            np.testing.assert_array_equal(got, want.degraded)
            ops = [s["op"] for s in item.recipe["steps"]]
            assert prompt == ", ".join(prompt_words(ops))
            seen.add(got.tobytes())
    assert len(seen) == 6  # recipes (sigma, order, seeds) differ image by image, so do the instructions
    res = rr.results
    assert (res["status"] == "ok").all() and len(res) == 6 * 2  # psnr and niqe
    for _, row in res.iterrows():
        item = next(it for it in rr.data[row["task"]].items if it.image_id == row["image_id"])
        assert row["conditioning"].startswith("instruction: " + ">".join(s["op"] for s in item.recipe["steps"]))
        assert "prompt (task): " in row["conditioning"]
    assert rr.conditioning == {"recorder": describe({"instruction": GROUND, "prompt": "task"})}
    write_report(rr, tmp_path / "report")
    run_json = json.loads((tmp_path / "report" / "run.json").read_text())
    assert run_json["conditioning"] == {"recorder": "instruction from the recipe (simple, 32 px, ground seed 0); "
                                                     "prompt from the task"}
    assert "conditioning" in pd.read_parquet(tmp_path / "report" / "results.parquet")


def test_resumed_run_keeps_the_recorded_conditioning(tmp_path):
    first = run(tmp_path, {"noise": SYNTHETIC["noise"]}, recorder({"instruction": GROUND})[1])
    rec, method = recorder({"instruction": GROUND})
    again = run(tmp_path, {"noise": SYNTHETIC["noise"]}, method)
    assert rec.received == []  # all cached
    assert list(again.results["conditioning"]) == list(first.results["conditioning"])


def test_real_photos_without_recipe_get_an_estimate_or_are_na_with_the_reason(tmp_path):
    rec, method = recorder({"instruction": GROUND})
    tasks = {"real-noise": {"noref": True, "kinds": ["noise"]}, "real-rain": {"noref": True, "kinds": ["rain"]}}
    rr = run(tmp_path, tasks, method)
    res = rr.results.set_index("task")
    noise, rain = res.loc["real-noise"], res.loc["real-rain"]
    assert (noise["status"] == "ok").all()
    assert noise["conditioning"].str.contains("noise.gaussian \\(estimated noise.gaussian sigma").all()
    assert (rain["status"] == "n/a").all() and len(rain) == 3
    assert rain["error"].str.startswith("n/a: no recorded recipe and no estimator for rain").all()
    assert rain["error"].str.contains("no degradation detector was given to the runner").all()
    assert len(rec.received) == 3  # only the noise photos were restored
    lb = build_leaderboard(rr.results, {"niqe": False}, rr.status)
    assert lb.failed == {("recorder", "real-rain"): (3, 3)}  # shown, not taken for a task it does not handle


def test_a_detector_estimates_the_recipe_of_real_photos(tmp_path):
    def detector(img):
        return Detection({**{k: 0.1 for k in LABELS}, "rain": 0.8, "haze": 0.6},
                         {**{k: 3.0 for k in LABELS[1:]}, "rain": 4.4, "haze": 0.2})

    rec, method = recorder({"instruction": GROUND}, detector)
    rr = run(tmp_path, {"real-rain-haze": {"noref": True, "kinds": ["haze", "rain"]}}, method)
    assert (rr.results["status"] == "ok").all() and len(rec.received) == 3
    assert rr.results["conditioning"].str.contains(
        "estimated by the detector: rain.streaks severity 4, haze.atmospheric severity 1").all()
    td = rr.data["real-rain-haze"]
    for item in td.items:
        img = read_image(item.input, convert=True)
        recipe, _ = estimated_recipe(td.task, item, img, detector)
        assert [s["op"] for s in recipe["steps"]] == ["rain.streaks", "haze.atmospheric"]
        want = make_instruction(recipe, instruction_seed(td.task, item), "simple", 32, ground_seed=0).degraded
        got = next(ins for x, _, ins in rec.received if np.array_equal(x, img))
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ConditionUnavailable, match="no label for fog"):
        estimated_recipe(dataclasses.replace(td.task, kinds=("fog",)), td.items[0], img, detector)


def fake_detection(present: dict[str, float]) -> Detection:
    """A detection with the labels of ``present`` at those probabilities (severity 3 each), the rest at 0.1."""
    return Detection({k: present.get(k, 0.1) for k in LABELS}, {k: 3.0 for k in LABELS[1:]})


def test_detector_prompt_and_its_absence(tmp_path):
    def detector(img):
        return fake_detection({"rain": 0.9, "noise": 0.7} if img.mean() > 0.45 else {"clean": 0.9})

    rec, method = recorder({"prompt": "detector"}, detector)
    rr = run(tmp_path, {"noise": SYNTHETIC["noise"]}, method)
    for x, prompt, ins in rec.received:
        assert ins is None and prompt == ("rain, noise" if x.mean() > 0.45 else "clean")
    assert rr.results["conditioning"].str.startswith("prompt (detector): ").all()
    _, blind = recorder({"prompt": "detector"})
    item = rr.data["noise"].items[0]
    with pytest.raises(ConditionUnavailable, match="needs a degradation detector"):
        blind.conditioning(rr.data["noise"].task, item, read_image(item.input, convert=True))


def test_methods_without_inputs_get_the_image_alone(tmp_path):
    calls = []
    rr = run(tmp_path, {"noise": SYNTHETIC["noise"]}, Method("plain", lambda: lambda img: calls.append(1) or img))
    assert len(calls) == 3 and (rr.results["conditioning"] == "").all() and rr.conditioning == {"plain": ""}


def test_input_declarations_are_checked():
    assert instruction_spec({"instruction": "image"}) == {"ground": "te42", "size": 224, "ground_seed": 0}
    assert prompt_spec({"prompt": "text"}) == ("task", "{}") and instruction_spec({}) is None
    assert prompt_spec({"prompt": {"source": "detector", "template": "A photo needs {} artifact reduction"}}) == (
        "detector", "A photo needs {} artifact reduction")
    with pytest.raises(InputError, match="template: expected a sentence with one"):
        prompt_spec({"prompt": {"source": "task", "template": "no slot"}})
    with pytest.raises(InputError, match="recorder.instruction: expected 'image' or a mapping"):
        instruction_spec({"instruction": {"grund": "te42"}}, "recorder")
    with pytest.raises(InputError, match="prompt: expected one of"):
        describe({"prompt": "caption"})
    assert describe({"noise_level": "estimated"}) == "noise level estimated (inside the method)"
    entry = {"family": "all-in-one", "adapter": "m:f", "tasks": ["all"], "paper": "-", "code": {}}
    assert parse_entry("ok", {**entry, "inputs": {"prompt": {"source": "detector", "template": "fix {}"}}}).inputs
    for bad, msg in (({"promt": "task"}, "unknown input"), ({"prompt": "caption"}, "prompt: expected one of"),
                     ({"instruction": {"size": "big"}}, "instruction: ground is a ground name"),
                     ({"noise_level": 300}, "noise_level: expected 'estimated' or a sigma")):
        with pytest.raises(InputError, match=f"registry: entry 'bad': inputs.*{msg}"):
            parse_entry("bad", {**entry, "inputs": bad})


def test_prompt_words_name_operators_and_families():
    assert prompt_words(["rain.drops", "noise.gaussian", "blur.motion", "resize.down", "lowlight", "noise.poisson"]) \
        == ["raindrop", "noise", "blur", "low resolution", "low-light"]


def test_a_prompt_template_words_the_degradations_in_the_methods_sentence():
    from benchmark.suites.data import Item
    from benchmark.suites.schema import Task

    recipe = {"version": 1, "steps": [{"op": "rain.drops", "params": {}}, {"op": "noise.gaussian", "params": {}}]}
    inputs = {"prompt": {"source": "task", "template": "A photo needs {} artifact reduction"}}
    img = np.zeros((8, 8, 3), np.float32)
    got = condition(inputs, Task("t", source="x"), Item("a", None, None, recipe), img)
    assert got.kwargs == {"prompt": "A photo needs raindrop, noise artifact reduction"}
    real = condition(inputs, Task("r", source="x", noref=True, kinds=("haze",)), Item("b", None, None), img)
    assert real.kwargs["prompt"] == "A photo needs haze artifact reduction"
    assert describe(inputs) == "prompt from the task as 'A photo needs {} artifact reduction'"


def test_condition_is_independent_of_the_other_images():
    from benchmark.suites.data import Item
    from benchmark.suites.schema import Task

    task = Task("t", source="x", seed=3, kinds=("noise",))
    recipe = {"version": 1, "steps": [{"op": "noise.gaussian", "params": {"sigma": 20.0, "gray": False, "seed": 1}}]}
    img = np.zeros((16, 16, 3), np.float32)
    a = condition({"instruction": GROUND}, task, Item("a", None, None, recipe), img)
    b = condition({"instruction": GROUND}, task, Item("b", None, None, recipe), img)
    a2 = condition({"instruction": GROUND}, task, Item("a", None, None, recipe), img)
    np.testing.assert_array_equal(a.kwargs["instruction"], a2.kwargs["instruction"])
    assert not np.array_equal(a.kwargs["instruction"], b.kwargs["instruction"])  # fresh noise per image
