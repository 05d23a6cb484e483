"""The detect -> restore loop: it stops, never repeats a method without a change in detection, logs every step."""

from __future__ import annotations

import pytest

from degrade.labels import LABELS
from models.detect.auto import changed, choose, first_usable, restore_loop
from models.detect.detector import Detection

TABLE = {"noise": ["denoiser"], "rain": ["derainer"], "haze": ["dehazer"], "snow": [], "blur": ["missing"]}


def found(**probs: float) -> Detection:
    """A detection with the given label probabilities (others 0) and severity 3 everywhere."""
    p = {k: probs.get(k, 0.0) for k in LABELS}
    return Detection(p, {k: 3.0 for k in LABELS if k != "clean"})


class Scripted:
    """Detections in order (the last one repeats) and restorers that record their calls."""

    def __init__(self, *detections: Detection):
        self.detections = list(detections)
        self.calls: list[str] = []

    def detect(self, x):
        return self.detections[min(len(self.calls), len(self.detections) - 1)]

    def restorer(self, method):
        def run(x):
            self.calls.append(method)
            return x + 1
        return run


def usable(method):
    return "weights not here" if method == "missing" else None


def test_stops_when_clean_and_logs_every_detection():
    s = Scripted(found(noise=0.9, rain=0.6), found(rain=0.8), found(clean=0.9))
    y, log = restore_loop(0, s.detect, TABLE, s.restorer, usable, max_steps=3)
    assert y == 2 and s.calls == ["denoiser", "derainer"]
    assert [(r.step, r.dominant, r.label, r.method) for r in log] == [
        (0, "noise", "noise", "denoiser"), (1, "rain", "rain", "derainer"), (2, "clean", None, None)]
    assert log[-1].note == "stop: judged clean" and all(set(r.probabilities) == set(LABELS) for r in log)


def test_stops_after_k_steps():
    s = Scripted(found(noise=0.9), found(rain=0.9), found(noise=0.9), found(rain=0.9))
    _, log = restore_loop(0, s.detect, TABLE, s.restorer, usable, max_steps=2)
    assert s.calls == ["denoiser", "derainer"] and len(log) == 3
    assert log[-1].method is None and log[-1].note == "stop: 2 restoration steps done"


def test_never_the_same_method_twice_in_a_row_without_a_change_in_detection():
    stuck = found(noise=0.9, haze=0.7)
    s = Scripted(stuck)
    _, log = restore_loop(0, s.detect, TABLE, s.restorer, usable, max_steps=4)
    assert all(a != b for a, b in zip(s.calls, s.calls[1:]))
    assert s.calls == ["denoiser", "dehazer", "denoiser", "dehazer"]
    assert "was just applied" in log[1].passed_over[0]


def test_the_same_method_again_when_the_detection_changed():
    s = Scripted(found(noise=0.95), Detection({**found(noise=0.9).probabilities},
                                              {k: 1.0 for k in LABELS if k != "clean"}), found(clean=0.9))
    restore_loop(0, s.detect, TABLE, s.restorer, usable, max_steps=3)
    assert s.calls == ["denoiser", "denoiser"]
    assert changed(s.detections[0], s.detections[1]) and not changed(s.detections[0], s.detections[0])


def test_a_label_appearing_beside_the_dominant_one_is_not_a_change():
    before, after = found(lowlight=0.9, haze=0.6), found(lowlight=0.8, haze=0.6, noise=0.55)
    assert after.present != before.present and not changed(before, after)
    table = {**TABLE, "lowlight": ["enhancer"]}
    assert choose(after, table, usable, ("enhancer", before))[:2] == ("haze", "dehazer")


def test_labels_without_a_usable_method_are_passed_over_then_the_loop_stops():
    label, method, passed = choose(found(snow=0.9, blur=0.8, rain=0.6), TABLE, usable, None)
    assert (label, method) == ("rain", "derainer")
    assert passed == ["snow: no method in the table", "blur: missing unavailable (weights not here)"]
    s = Scripted(found(snow=0.9, raindrop=0.7))
    y, log = restore_loop(0, s.detect, TABLE, s.restorer, usable)
    assert y == 0 and s.calls == [] and len(log) == 1 and log[0].note == "stop: no applicable method"


@pytest.mark.parametrize("probs, dominant", [({"clean": 0.4, "haze": 0.45}, "haze"), ({"clean": 0.6}, "clean")])
def test_a_dominant_label_below_the_threshold_is_still_acted_on(probs, dominant):
    f = found(**probs)
    assert f.dominant == dominant and f.present == []
    assert choose(f, TABLE, usable, None)[1] == ("dehazer" if dominant == "haze" else None)


def test_the_first_candidate_that_loads_is_taken():
    table = {**TABLE, "noise": ["missing", "denoiser", "dehazer"]}
    label, method, passed = choose(found(noise=0.9), table, usable, None)
    assert (label, method) == ("noise", "denoiser")
    assert passed == ["noise: missing unavailable (weights not here)"]
    assert first_usable(["missing"], usable) == (None, ["missing unavailable (weights not here)"])


@pytest.mark.parametrize("floor, calls", [(0.0, ["dehazer"]), (0.3, [])])
def test_the_loop_stops_below_the_minimum_probability(floor, calls):
    s = Scripted(found(clean=0.09, haze=0.25), found(clean=0.9))
    _, log = restore_loop(0, s.detect, TABLE, s.restorer, usable, max_steps=3, min_probability=floor)
    assert s.calls == calls
    assert log[-1].note == ("stop: judged clean" if calls else "stop: no degradation reaches probability 0.3")


def test_each_label_is_present_from_its_own_threshold_and_the_loop_follows_it():
    p = {k: 0.0 for k in LABELS} | {"clean": 0.5, "noise": 0.3, "haze": 0.2}
    severities = {k: 3.0 for k in LABELS if k != "clean"}
    calibrated = Detection(p, severities, thresholds={"noise": 0.25, "haze": 0.25})
    assert calibrated.present == ["noise"] and Detection(p, severities).present == []
    assert choose(calibrated, TABLE, usable, None)[:2] == ("noise", "denoiser")
    assert calibrated.to_row()["present"] == "noise"
