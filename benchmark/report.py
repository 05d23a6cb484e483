"""Leaderboard reports of a run: ``results.{parquet,csv}``, ``leaderboard.{md,csv,html}``, protocols side by
side, plots, gallery, ``run.json``.

:func:`write_report` turns a :class:`benchmark.runner.RunResult` into files (the tables themselves are laid
out by ``benchmark.leaderboard``, plots by ``benchmark.plots``, the gallery by ``benchmark.gallery``, the
protocol comparison by ``benchmark.protocol_compare``, the pages by the templates in ``benchmark/templates/``
through ``benchmark.render``). Every file
written is recorded in ``.report-files.json``, so the next report into the same folder removes exactly those
and never a user's files.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path

from benchmark.protocols import get_protocol
from benchmark.runner import RunResult
from benchmark.scoring import MIN_SET_IMAGES, is_set_metric
from benchmark.suites import Task
from benchmark.suites.data import TaskData
from benchmark.workdir import image_errors
from restorebench.atomic import write_bytes_atomic, write_text_atomic


def metric_directions(metrics: list[str]) -> dict[str, bool]:
    """metric -> True when higher is better, from the metric registry."""
    from benchmark.metrics import metric_info

    return {m: bool(metric_info(m)["higher_is_better"]) for m in metrics}


def image_sizes(td: TaskData) -> str:
    """The input sizes of a task as ``WxH`` (up to three distinct ones, else the range by area)."""
    from PIL import Image

    sizes = set()
    for item in td.items:
        with Image.open(item.input) as im:
            sizes.add(im.size)
    ordered = sorted(sizes, key=lambda wh: (wh[0] * wh[1], wh))
    text = [f"{w}x{h}" for w, h in ordered]
    return ", ".join(text) if len(text) <= 3 else f"{len(text)} sizes from {text[0]} to {text[-1]}"


def data_origin(task: Task) -> str:
    """Whether a task's data are real (with the folders) or synthetic (with the spec or recipe and source)."""
    if task.paired:
        return f"real pairs: input {task.paired['input']}, target {task.paired['target']}"
    if task.noref:
        return f"real photos without ground truth: {task.source}"
    what = json.dumps(task.spec if task.spec is not None else task.recipe, sort_keys=True)
    extra = "".join(f", {k} {v}" for k, v in (("crop", task.crop), ("limit", task.limit)) if v is not None)
    return f"synthetic: {what} on {task.source} (seed {task.seed}{extra})"


def code_version() -> str:
    """``restorebench <version>`` and the git commit of the code (``-dirty`` with uncommitted changes), when the
    code is a git checkout."""
    import restorebench

    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "describe", "--always", "--dirty", "--abbrev=12"],
                             capture_output=True, text=True, timeout=10, check=False)
        commit = out.stdout.strip() if out.returncode == 0 else ""
    except OSError:
        commit = ""
    return f"restorebench {restorebench.__version__}" + (f", commit {commit}" if commit else ", not a git checkout")


def environment(device: str) -> list[tuple[str, str]]:
    """(label, text) lines on what ran the timings: device and its name, torch and CUDA versions."""
    import torch

    dev = torch.device(device)
    if dev.type == "cuda" and torch.cuda.is_available():
        name = torch.cuda.get_device_name(dev)
    else:
        name = f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs"
    cuda = torch.version.cuda or "none (CPU build)"
    return [("device", f"{device} ({name})"), ("torch", f"{torch.__version__}, CUDA {cuda}")]


def provenance(rr: RunResult, metrics: list[str]) -> list[tuple[str, str]]:
    """(label, text) lines that make a report describe itself: suite, code, environment, protocol, metrics,
    overrides, and per task its images (number, sizes) and where they come from."""
    suite = rr.suite
    lines = [
        ("suite", suite.name + (f": {suite.description}" if suite.description else "")),
        ("code", code_version()),
        *environment(rr.device),
        ("data hash", rr.data_hash),
        ("protocol", get_protocol(suite.protocol).describe()),
        ("metrics", ", ".join(metrics)),
        *[(f"metric {m}", f"n/a: {r}") for m, r in rr.metric_status.items() if r is not None],
        ("overrides", " ".join(suite.overrides) or "none"),
        ("images", f"{sum(len(td.items) for td in rr.data.values())} over {len(suite.tasks)} tasks"),
    ]
    for task in suite.tasks:
        td = rr.data[task.name]
        lines.append((f"task {task.name}", f"{len(td.items)} images ({image_sizes(td)}); {data_origin(task)}"))
    sets = [m for m in metrics if is_set_metric(m)]
    if sets:
        lines.append((", ".join(sets), set_metric_coverage(rr)))
    return lines


def set_metric_coverage(rr: RunResult) -> str:
    """Which tasks the set metrics (FID, KID) were scored on: those with at least MIN_SET_IMAGES images."""
    sizes = {t.name: len(rr.data[t.name].items) for t in rr.suite.tasks if t.has_reference}
    on = [f"{t} ({n})" for t, n in sizes.items() if n >= MIN_SET_IMAGES]
    off = [f"{t} ({n})" for t, n in sizes.items() if n < MIN_SET_IMAGES]
    return (f"one value per method and task over all its restored images, scored only where a task has at "
            f"least {MIN_SET_IMAGES} images: " + (f"on {', '.join(on)}" if on else "on no task")
            + (f"; not on {', '.join(off)}" if off else ""))


def _gallery_rows(rr: RunResult, images: int, baseline: str = "identity") -> list:
    """Gallery rows of the first ``images`` images of every task; the input's caption is ``baseline``'s score
    (the unrestored input scored like a method)."""
    from benchmark.gallery import GalleryRow
    from benchmark.leaderboard import format_value

    ok = rr.results[rr.results["status"] == "ok"]
    rows = []
    for task in rr.suite.tasks:
        td = rr.data[task.name]
        metric = (rr.metrics(task) or [""])[0]
        scores = ok[(ok["task"] == task.name) & (ok["metric"] == metric)].set_index(["method", "image_id"])["value"]
        errors = {m: image_errors(td, rr.restored_dir(m, task.name)) for m, r in rr.status.items() if r is None}
        for item in td.items[:images]:
            outputs, captions = {}, {}
            for m, reason in rr.status.items():
                path = rr.output_path(m, task.name, item.image_id) if reason is None else None
                if path is None or not path.is_file():
                    continue
                if m != baseline:  # the baseline's output is the input, shown first anyway
                    outputs[m] = path
                if (m, item.image_id) in scores.index:
                    value = format_value(float(scores[(m, item.image_id)]), metric)
                    captions["input" if m == baseline else m] = f"{metric} {value}"
            failed = {m: errors[m][item.image_id] for m in errors if item.image_id in errors[m]}
            rows.append(
                GalleryRow(task.name, item.image_id, item.input, item.target, outputs, captions, failed)
            )
    return rows


def _timing_lines(rr: RunResult) -> list[tuple[str, str]]:
    t, c = rr.timings, rr.counts
    recorded = sum(secs for secs, _ in rr.restore_seconds.values())
    outputs = sum(n for _, n in rr.restore_seconds.values())
    made = f"{recorded:.1f} s measured when the {outputs} restored images used here were made"
    return [
        ("generate", f"{t['generate']:.1f} s ({c['generated']} images generated, the rest cached)"),
        ("load methods", f"{t['load']:.1f} s"),
        ("restore", f"{t['restore']:.1f} s ({c['restored']} images restored, the rest cached)"),
        ("restore, all outputs", f"{made} (this run and earlier ones; the s/img column)"),
        ("score", f"{t['score']:.1f} s ({c['scored']} images scored, the rest cached)"),
        ("report", f"{t.get('report', 0.0):.1f} s (tables, plots, gallery)"),
        ("total", f"{t['total'] + t.get('report', 0.0):.1f} s"),
    ]


def complexities(rr: RunResult) -> dict[str, dict[str, int]]:
    """method -> {"params", "macs"} for the learned registry methods that ran (cached in the work folder); a
    method whose network cannot be built any more (weights removed since its outputs were cached) is left out."""
    from benchmark.complexity import method_complexity
    from restorebench.errors import RestoreBenchError

    out = {}
    for m, reason in rr.status.items():
        if reason is None:
            try:
                found = method_complexity(m, rr.method_keys.get(m, m), rr.work_dir)
            except RestoreBenchError:
                continue
            if found:
                out[m] = found
    return out


def leaderboard_for(rr: RunResult, higher: dict[str, bool] | None = None):
    """The :class:`benchmark.leaderboard.Leaderboard` of a run (metric directions from the registry by default)."""
    from benchmark.leaderboard import build_leaderboard

    metrics = rr.metrics()
    seconds = {m: s / n for m, (s, n) in rr.restore_seconds.items() if n}
    return build_leaderboard(
        rr.results,
        higher or metric_directions(metrics),
        rr.status,
        [t.name for t in rr.suite.tasks],
        metrics,
        seconds,
        complexities(rr),
    )


def physical_params(task: Task) -> dict:
    """The operator parameters behind a single-operator task: the spec's ``params`` over the operator's
    severity-table row when the spec names a ``severity`` (empty for recipes and composite specs)."""
    import degrade

    spec = task.spec if isinstance(task.spec, dict) else {}
    if "op" not in spec:
        return {}
    params = dict(spec.get("params") or {})
    if spec.get("severity") is not None:
        params = {**degrade.get(spec["op"]).severities.get(spec["severity"], {}), **params}
    return params


def severity_levels(tasks: list[Task]) -> dict[str, str]:
    """task -> its physical level (``sigma 15``, ``quality 10``) for tasks with a severity: the first parameter
    whose value differs between the tasks of the group (the first parameter in a group of one)."""
    groups: dict[str, list[Task]] = {}
    for t in tasks:
        if t.severity is not None:
            groups.setdefault(t.group or t.name, []).append(t)
    out = {}
    for members in groups.values():
        params = {t.name: physical_params(t) for t in members}
        keys = list(dict.fromkeys(k for p in params.values() for k in p))
        varying = [k for k in keys if len({json.dumps(p.get(k)) for p in params.values()}) > 1] or keys[:1]
        for t in members:
            if varying and varying[0] in params[t.name]:
                v = params[t.name][varying[0]]
                out[t.name] = f"{varying[0]} {v:g}" if isinstance(v, (int, float)) else f"{varying[0]} {v}"
    return out


def _figures(rr: RunResult, metrics: list[str], higher: dict[str, bool], methods: list[str],
             out_dir: Path) -> list[tuple[str, Path]]:
    """(title, path) of every plot drawn (bars, severity curves, order heatmaps per metric)."""
    from benchmark import plots

    levels = severity_levels(list(rr.suite.tasks))
    figures = []
    for m in metrics:
        up = higher.get(m, True)
        for title, name, draw in (
            ("per-task means", f"bars_{m}.png",
             lambda p, m=m, up=up: plots.task_bars(rr.results, m, p, up, methods=methods)),
            ("severity curves", f"severity_{m}.png",
             lambda p, m=m, up=up: plots.severity_curves(rr.results, m, p, up, levels=levels)),
            ("order sensitivity", f"orders_{m}.png",
             lambda p, m=m, up=up: plots.order_heatmap(rr.results, m, p, up)),
        ):
            if (path := draw(out_dir / "plots" / name)) is not None:
                figures.append((f"{m}: {title}", path))
    return figures


def _protocol_section(rr: RunResult, out_dir: Path) -> tuple[str, str, list[Path]]:
    """(markdown, html, files written) of the protocols side by side (empty without ``compare_protocols``):
    per metric a table of gaps, each protocol in one line, per (method, task) means in ``protocols.csv``."""
    import html

    from benchmark.protocol_compare import gap_tables, method_means, protocol_gaps, protocol_scores
    from benchmark.render import html_table, md_table

    scores = protocol_scores(rr)
    if scores.empty:
        return "", "", []
    base, others = rr.suite.protocol, list(rr.suite.compare_protocols)
    csv_path = out_dir / "protocols.csv"
    means = method_means(scores, [base, *others]).reset_index()
    write_text_atomic(csv_path, means.to_csv(index=False, float_format="%.6g"))
    described = [get_protocol(p).describe() for p in (base, *others)]
    intro = ("The same restored images scored under other papers' protocols: how much of a gap between two "
             "published numbers is the scoring convention. Per (method, task) means: ")
    md = ["## Protocols side by side", "", intro + "[protocols.csv](protocols.csv).", ""]
    md += [f"- {d}" for d in described] + [""]
    page = [f'<h2>Protocols side by side</h2><p>{html.escape(intro)}<a href="protocols.csv">protocols.csv</a>'
            "</p><ul>" + "".join(f"<li>{html.escape(d)}</li>" for d in described) + "</ul>"]
    for caption, table in gap_tables(protocol_gaps(scores, base, others), base):
        header = ["task", *table.columns]
        rows = [[t, *(str(c) for c in r)] for t, r in zip(table.index, table.to_numpy())]
        md += [caption, "", md_table(header, rows), ""]
        page.append(f"<p>{html.escape(caption)}</p>{html_table(header, rows)}")
    return "\n".join(md) + "\n", "".join(page), [csv_path]


def write_report(
    rr: RunResult,
    out_dir: Path,
    higher: dict[str, bool] | None = None,
    gallery_images: int | None = None,
    gallery_crop: int | None = None,
) -> dict[str, Path]:
    """Write ``results.{parquet,csv}``, ``leaderboard.{md,csv,html}``, ``protocols.csv`` (suites comparing
    protocols), ``plots/*.png``, ``gallery.html``, ``run.json``; the pages from ``benchmark/templates/``.

    Files the previous report in ``out_dir`` recorded (``.report-files.json``) are removed first; other files
    in ``out_dir`` are never touched. Returns the written paths by kind. Report timings are added to
    ``rr.timings['report']``.
    """
    import html

    from benchmark import leaderboard as lbm
    from benchmark.gallery import write_gallery
    from benchmark.render import kv_html, render

    t0 = time.perf_counter()
    suite, out_dir = rr.suite, Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_recorded(out_dir)
    metrics = rr.metrics()
    higher = higher or metric_directions(metrics)
    lb = leaderboard_for(rr, higher)
    paths: dict[str, Path] = {"results": out_dir / "results.parquet", "results_csv": out_dir / "results.csv"}
    write_bytes_atomic(paths["results"], rr.results.to_parquet(index=False))
    write_text_atomic(paths["results_csv"], rr.results.to_csv(index=False, float_format="%.6g"))
    info = provenance(rr, metrics)
    paths["csv"] = out_dir / "leaderboard.csv"
    write_text_atomic(paths["csv"], "".join(f"# {k}: {v}\n" for k, v in info) + lbm.to_csv(lb))
    figures = _figures(rr, metrics, higher, lb.methods, out_dir)
    protocols_md, protocols_html, extra = _protocol_section(rr, out_dir)
    gcfg = suite.gallery
    paths["gallery"], thumbs = write_gallery(
        _gallery_rows(rr, int(gallery_images or gcfg.get("images", 2))),
        out_dir,
        f"{suite.name}: input / methods / ground truth",
        int(gallery_crop or gcfg.get("crop", 128)),
        intro=GALLERY_INTRO,
    )
    rr.timings["report"] = time.perf_counter() - t0
    timing = _timing_lines(rr)
    title = f"{suite.name} leaderboard"
    e = html.escape
    paths["md"] = out_dir / "leaderboard.md"
    write_text_atomic(paths["md"], render(
        "leaderboard.md",
        title=title,
        provenance="\n".join(f"- **{k}**: {v}" for k, v in info),
        leaderboard=lbm.to_markdown(lb),
        protocols=protocols_md,
        timing="\n".join(f"| {k} | {v} |" for k, v in timing),
        plots="\n".join(f"![{t}]({p.relative_to(out_dir).as_posix()})" for t, p in figures),
    ))
    paths["html"] = out_dir / "leaderboard.html"
    write_text_atomic(paths["html"], render(
        "leaderboard.html",
        title=e(title),
        provenance=kv_html(info),
        leaderboard=lbm.to_html_table(lb),
        protocols=protocols_html,
        timing=kv_html(timing),
        plots="".join(f'<p>{e(t)}<br><img class="plot" src="{e(p.relative_to(out_dir).as_posix())}"></p>'
                      for t, p in figures),
    ))
    run = {
        "suite": suite.name,
        "data_hash": rr.data_hash,
        "protocol": suite.protocol,
        "compare_protocols": list(suite.compare_protocols),
        "metrics": metrics,
        "metrics_unavailable": {m: r for m, r in rr.metric_status.items() if r is not None},
        "tasks": {
            name: {"content": td.content, "digest": td.digest, "images": len(td.items), **td.task.to_dict()}
            for name, td in rr.data.items()
        },
        "methods": {m: ("ok" if r is None else f"n/a: {r}") for m, r in rr.status.items()},
        "conditioning": {m: c for m, c in rr.conditioning.items() if c},
        "complexity": lb.complexity,
        "timings_s": {k: round(v, 3) for k, v in rr.timings.items()},
        "counts": rr.counts,
        "restore_s_per_image": {m: round(s, 4) for m, s in lb.seconds.items()},
        "provenance": dict(info),
        "config": suite.config,
    }
    paths["run"] = out_dir / "run.json"
    write_text_atomic(paths["run"], json.dumps(run, indent=1, default=str))
    record(out_dir, [*paths.values(), *(p for _, p in figures), *thumbs, *extra])
    return paths


GALLERY_INTRO = ('<p>Each crop links to its full-size image (in the run\'s work folder and data cache); the '
                 'scores of every image: <a href="results.csv">results.csv</a>.</p>')
"""The gallery's line above its rows."""


REPORT_RECORD = ".report-files.json"
"""The files a report wrote, relative to its folder: the next report removes exactly these (never others)."""


def record(out_dir: Path, files: list[Path]) -> None:
    """Write the record of the report files ``files`` (paths under ``out_dir``)."""
    rels = sorted({p.relative_to(out_dir).as_posix() for p in files})
    write_text_atomic(out_dir / REPORT_RECORD, json.dumps(rels, indent=0))


def remove_recorded(out_dir: Path) -> None:
    """Delete the files the previous report in ``out_dir`` recorded, and the folders that this leaves empty."""
    from restorebench.paths import inside

    rec = out_dir / REPORT_RECORD
    if not rec.is_file():
        return
    try:
        rels = json.loads(rec.read_text())
    except ValueError:
        rels = []
    folders = set()
    for rel in rels if isinstance(rels, list) else []:
        path = inside(out_dir, rel, str(rec))
        path.unlink(missing_ok=True)
        folders.update(p for p in path.parents if p != out_dir and p.is_relative_to(out_dir))
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    rec.unlink()
