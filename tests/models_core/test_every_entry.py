"""Every checkpoint in ../shared/weights/restoration matches SHA256SUMS and loads strictly into a registry
entry; entries that name it load it through the resolver (sha256 verified).

(That every learned entry maps a 1x3x67x93 batch with random weights is tested per architecture in
tests/models_arch; the classical entries are covered in test_classical.py.)
"""

from __future__ import annotations

import models
from restorebench.errors import InputError
from restorebench.weights import sha256_file


def test_shared_checkpoints_are_verified_and_load_strictly(shared):
    folder = shared / "weights" / "restoration"
    sums = dict(line.split()[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines() if line.strip())
    present = sorted(p.name for p in folder.glob("*.pth"))
    users = {}
    for name in models.list_models(family="learned") + models.list_models(family="all-in-one"):
        for w in models.info(name).weights:
            if w.name in present:
                users.setdefault(w.name, name)
    for file in present:
        assert sha256_file(folder / file) == sums[file], file
    for file, name in users.items():
        ok, why = models.availability(name)
        assert ok, why
        models.load(name)  # resolver + sha256 + strict keys; raises otherwise
    for file in sorted(set(present) - set(users)):  # extra copies (e.g. converted from MatConvNet)
        loaded = []
        for name in dict.fromkeys(users.values()):
            try:
                models.load(name, weights=folder / file)
                loaded.append(name)
            except InputError:
                continue
        assert loaded, f"{file} loads strictly into none of {sorted(set(users.values()))}"
