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
    recipes = [degrade.sample_recipe(spec, sample_rng(0, i)) for i in range(6)]
    for r in recipes[:3]:
        degrade.replay(img, r)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for r in recipes[3:]:
        degrade.replay(img, r)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 3
    assert faults < 50  # without the setting each chain faults in its temporaries: hundreds of pages
