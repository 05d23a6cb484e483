"""restorebench.memory: the allocator setting takes effect on glibc and removes per-image page faults."""

from __future__ import annotations

import platform
import resource

import numpy as np
import pytest

import degrade
from restorebench.memory import keep_freed_memory
from restorebench.seeding import sample_rng


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_chain_of_operators_stops_faulting_in_fresh_pages():
    assert keep_freed_memory()
    img = np.full((256, 256, 3), 0.5, np.float32)
    spec = {"policy": "chain", "items": [{"op": n, "severity": 3} for n in ("rain.streaks", "noise.gaussian")]}
    recipes = [degrade.sample_recipe(spec, sample_rng(0, i)) for i in range(12)]
    for r in recipes[:6]:
        degrade.replay(img, r)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for r in recipes[6:]:
        degrade.replay(img, r)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 6
    # one 256x256x3 float32 temporary is 192 pages; without the setting a chain faults in ~860 pages
    assert faults < 192
