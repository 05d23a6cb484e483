"""Training restoration models on restorebench corpora: ``restorebench train`` / :func:`train`.

    from train import TrainConfig, train
    result = train(TrainConfig(model="promptir", size="small", corpus="corpora/aio3", out="runs/p1", steps=2000))
    models.load("promptir", weights=result.weights)

This package sits above ``degrade``, ``models`` and ``benchmark`` (it reads corpora, builds registry
architectures and scores validation pairs); none of them imports it. See docs/training.md.
"""

from train.config import TrainConfig
from train.loop import RunResult, TrainingDiverged, train
from train.register import register_run, registry_entry

__all__ = ["RunResult", "TrainConfig", "TrainingDiverged", "register_run", "registry_entry", "train"]
