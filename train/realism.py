"""``restorebench realism``: train one restorer on each synthesizer's pairs, score every model on real pairs.

A realism config (YAML, ``configs/realism/*.yaml``) holds:

* ``family``: the degradation the test sets show (``noise``, ``rain``, ``haze``); the trained entries' task;
* ``sources``: the clean training images (a folder or a list file, relative to the config file);
* ``corpus``: ``seed`` and ``patches`` of the training crops, shared by every synthesizer;
* ``train``: one budget for every synthesizer (``model``, ``size``, ``steps``, ``batch``, ``patch``, ``lr``,
  ``seed``, ... as ``restorebench train`` takes them); no synthesizer can change it;
* ``synthesizers``: ``restorebench: {spec: ...}`` (a ``degrade`` spec; required, it is also the crop plan every
  peer degrades) and peers ``NAME: {peer: <library>.<transform>, params: {...}}`` (:mod:`degrade.peers`);
* ``suite``: the benchmark suite of real test pairs (a shipped name or a YAML path); suite overrides add a
  user's own paired folders.

:func:`run_realism` trains each synthesizer's model in ``OUT/runs/<name>`` (named by a digest of its
definition: a finished run is reused, a killed one resumes, a changed synthesizer trains afresh), registers it as
``realism-<family>-<name>`` in ``OUT/registry.yaml`` (rewritten each time), runs the
suite with ``identity`` and every trained entry, and writes to ``REPORT`` (default ``OUT/report``) the suite report
(leaderboard, plots, gallery) and ``realism.md`` / ``realism.csv``: synthesizer x test set, with the synthesizers
that could not run listed with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from restorebench.atomic import write_text_atomic
from restorebench.errors import InputError
from train.config import TrainConfig

CONFIG_KEYS = {"family", "sources", "corpus", "train", "synthesizers", "suite"}
OWN = "restorebench"
BUDGET_FIXED = {"model", "out", "corpus", "spec", "source", "val", "peer", "progress"}
"""TrainConfig fields the realism config cannot set in ``train`` (the command sets them per synthesizer)."""


@dataclass(frozen=True)
class RealismConfig:
    """A validated realism config (see the module doc); ``sources`` resolved against the config's folder."""

    family: str
    sources: Path
    corpus: dict
    train: dict
    synthesizers: dict[str, dict]
    suite: str


def _fail(where: str, msg: str) -> InputError:
    return InputError(f"{where}: {msg}")


def parse_config(raw: Any, where: str, root: Path) -> RealismConfig:
    """Validate a realism config mapping (read from ``where``); relative paths start at ``root``."""
    if not isinstance(raw, dict):
        raise _fail(where, "a realism config is a mapping (family, sources, corpus, train, synthesizers, suite)")
    missing, unknown = sorted(CONFIG_KEYS - set(raw)), sorted(set(raw) - CONFIG_KEYS)
    if missing or unknown:
        raise _fail(where, f"missing keys {missing}, unknown keys {unknown}; expected {sorted(CONFIG_KEYS)}")
    train = raw["train"]
    known = {f.name for f in fields(TrainConfig)}
    if not isinstance(train, dict) or "model" not in train:
        raise _fail(where, "train: a mapping with at least `model` (and steps, batch, patch, seed, ...)")
    bad = sorted(set(train) - known | (set(train) & BUDGET_FIXED - {"model"}))
    if bad:
        raise _fail(where, f"train: {bad} cannot be set here (the budget keys are those of restorebench train)")
    synths = raw["synthesizers"]
    if not isinstance(synths, dict) or not isinstance(synths.get(OWN), dict) or "spec" not in synths[OWN]:
        raise _fail(where, f"synthesizers: needs `{OWN}: {{spec: ...}}` (its crops are every synthesizer's)")
    for name, s in synths.items():
        if name != OWN and (not isinstance(s, dict) or not isinstance(s.get("peer"), str)
                            or set(s) - {"peer", "params"} or not isinstance(s.get("params", {}), dict)):
            raise _fail(where, f"synthesizers.{name}: expected {{peer: <library>.<transform>, params: {{...}}}}")
    corpus = raw["corpus"]
    if not isinstance(corpus, dict) or set(corpus) - {"seed", "patches"}:
        raise _fail(where, "corpus: a mapping of `seed` and `patches` (as in a corpus config)")
    return RealismConfig(str(raw["family"]), root / str(raw["sources"]), corpus, dict(train), dict(synths),
                         str(raw["suite"]))


def load_config(path: str | os.PathLike) -> RealismConfig:
    """Read and validate the realism config file ``path``."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read the realism config ({exc})") from exc
    return parse_config(raw, str(path), path.parent)


def corpus_config(cfg: RealismConfig) -> dict:
    """The corpus config every synthesizer's crops come from (restorebench's spec as its one task)."""
    return {**cfg.corpus, "tasks": [{"name": cfg.family, "weight": 1.0, "spec": cfg.synthesizers[OWN]["spec"]}]}


def train_configs(cfg: RealismConfig, out: Path, progress: bool = True) -> dict[str, TrainConfig]:
    """One TrainConfig per synthesizer: identical but for ``peer``, ``out`` and ``spec`` (the same crops and
    budget). Runs are ``OUT/runs/<synthesizer>-<digest>`` (their corpus config ``OUT/specs/<same>.yaml``), the
    digest over the synthesizer, crops, sources and budget: a changed definition trains afresh, an unchanged one
    reuses (or resumes) its run."""
    base = TrainConfig(**{**cfg.train, "out": "", "source": str(cfg.sources), "progress": progress})
    configs = {}
    for name, s in cfg.synthesizers.items():
        what = {"synthesizer": s, "corpus": cfg.corpus, "sources": str(cfg.sources), "train": cfg.train}
        run = f"{name}-{hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:10]}"
        configs[name] = replace(base, out=str(out / "runs" / run), spec=str(out / "specs" / f"{run}.yaml"),
                                peer=None if name == OWN else {"name": s["peer"], "params": s.get("params", {})})
    return configs


def entry_name(cfg: RealismConfig, synthesizer: str) -> str:
    """Registry name of the model trained on ``synthesizer``'s pairs."""
    return f"realism-{cfg.family}-{synthesizer}".lower().replace("_", "-")


def _why_not(tc: TrainConfig) -> str | None:
    from degrade.peers import unavailable

    return unavailable(tc.peer["name"]) if tc.peer is not None else None


def _train_and_register(cfg: RealismConfig, configs: dict[str, TrainConfig], registry: Path) -> dict[str, dict]:
    """Train (or reuse) each synthesizer's run and write ``registry`` afresh with one entry per trained run."""
    from train.loop import train
    from train.register import registry_entry

    status: dict[str, dict] = {}
    entries: dict[str, dict] = {}
    for name, tc in configs.items():
        why = _why_not(tc)
        if why is not None:
            print(f"realism: {name}: not run ({why})")
            status[name] = {"status": f"not installed: {why}"}
            continue
        result = train(tc, resume=True)
        entry = entry_name(cfg, name)
        entries[entry] = {**registry_entry(result.run), "tasks": [cfg.family]}
        status[name] = {"status": "trained", "entry": entry, "sha256": result.sha256,
                        "val_psnr": result.summary.get("val_psnr"),
                        "train_seconds": result.summary.get("train_seconds")}
    write_text_atomic(registry, yaml.safe_dump(entries, sort_keys=False))
    return status


def _with_registry(registry: Path) -> None:
    from models.registry import ENV_REGISTRY

    files = [f for f in os.environ.get(ENV_REGISTRY, "").split(os.pathsep) if f]
    if str(registry) not in files:
        os.environ[ENV_REGISTRY] = os.pathsep.join([*files, str(registry)])


def summary_table(results: pd.DataFrame, cfg: RealismConfig, status: dict[str, dict]) -> pd.DataFrame:
    """Rows: the input (identity) then each synthesizer in config order; columns ``status`` and
    ``<test set> <metric>`` means over the suite's per-image ``results`` (NaN where a synthesizer did not run)."""
    entries = {"identity": "identity (input)", **{entry_name(cfg, n): n for n in status}}
    ok = results[results["method"].isin(entries) & results["value"].notna()]
    means = ok.groupby(["method", "task", "metric"])["value"].mean()
    columns = sorted({(t, m) for _, t, m in means.index})
    rows = []
    for entry, name in entries.items():
        row = {"synthesizer": name, "status": status.get(name, {"status": "reference"})["status"]}
        for t, m in columns:
            row[f"{t} {m}"] = means.get((entry, t, m), float("nan"))
        rows.append(row)
    return pd.DataFrame(rows).set_index("synthesizer")


def to_markdown(table: pd.DataFrame) -> str:
    """``summary_table`` as a GitHub Markdown table (4 decimals; ``-`` where a synthesizer did not run)."""
    head = ["synthesizer", *table.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 2)) + "|"]
    for name, row in table.iterrows():
        cells = [str(row["status"])] + ["-" if pd.isna(v) else f"{v:.4f}" for v in row.iloc[1:]]
        lines.append("| " + " | ".join([str(name), *cells]) + " |")
    return "\n".join(lines) + "\n"


def run_realism(config: str | os.PathLike, out: str | os.PathLike, overrides: tuple[str, ...] = (),
                work: str | os.PathLike | None = None, cache: str | os.PathLike | None = None,
                device: str = "cpu", quiet: bool = False, report: str | os.PathLike | None = None) -> Path:
    """Train, register and score as the module doc says; returns the path of ``REPORT/realism.md``."""
    from benchmark.cli_run import run_and_report
    from benchmark.suites import load_suite

    cfg = load_config(config)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    configs = train_configs(cfg, out, progress=not quiet)
    (out / "specs").mkdir(exist_ok=True)
    for tc in configs.values():
        write_text_atomic(Path(tc.spec), yaml.safe_dump(corpus_config(cfg), sort_keys=False))
    registry = out / "registry.yaml"
    status = _train_and_register(cfg, configs, registry)
    _with_registry(registry)
    trained = [s["entry"] for s in status.values() if "entry" in s]
    suite = load_suite(cfg.suite, list(overrides))
    report = Path(report) if report is not None else out / "report"
    rr, _ = run_and_report(suite, ["identity", *trained], report, work=work and Path(work),
                           cache=cache and Path(cache), device=device, quiet=quiet)
    table = summary_table(rr.results, cfg, status)
    write_text_atomic(report / "realism.csv", table.to_csv())
    budget = json.dumps({k: v for k, v in configs[OWN].weights_defining().items()
                         if k not in {"spec", "source", "peer"}}, sort_keys=True)
    text = (f"# Realism: {cfg.family}\n\nEvery synthesizer's model has the same budget: `{budget}`.\n"
            f"Scores are means over each real test set (suite `{suite.name}`: leaderboard.md, gallery.html and plots/ "
            f"beside this file).\n\n{to_markdown(table)}")
    write_text_atomic(report / "realism.md", text)
    return report / "realism.md"
