"""benchmark.auto_compare: a method's task ranks and identity-filled suite means from leaderboard CSVs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from benchmark.auto_compare import compare, render, task_scores

HEADER = "# suite: tiny\n"


def _board(path: Path, rows: dict[str, dict[str, float]]) -> Path:
    cols = sorted({t for r in rows.values() for t in r})
    frame = pd.DataFrame([{"method": m, **{f"{t}/psnr↑": r.get(t) for t in cols}} for m, r in rows.items()])
    path.write_text(HEADER + frame.to_csv(index=False))
    return path


def test_ranks_and_identity_filled_means(tmp_path):
    committed = _board(tmp_path / "old.csv", {"identity": {"noise": 20.0, "rain": 25.0},
                                              "denoiser": {"noise": 30.0}, "derainer": {"rain": 27.0}})
    new = _board(tmp_path / "new.csv", {"identity": {"noise": 20.0, "rain": 25.0}, "auto": {"noise": 29.0, "rain": 26.0}})
    result = compare(task_scores(committed, "psnr↑"), task_scores(new, "psnr↑"), "auto")
    assert result["drift"] == 0.0
    assert result["ranks"].to_dict() == {"noise": 2.0, "rain": 2.0}
    # uncovered tasks count at the input: denoiser (30 + 25) / 2 = 27.5, auto 27.5, derainer (20 + 27) / 2 = 23.5
    assert result["filled"]["auto"] == pytest.approx(27.5) and result["filled"]["derainer"] == pytest.approx(23.5)
    assert result["place"] in (1, 2)


def test_a_leaderboard_without_the_method_is_refused(tmp_path):
    board = task_scores(_board(tmp_path / "b.csv", {"identity": {"noise": 20.0}}), "psnr↑")
    with pytest.raises(SystemExit, match="auto is not in the new leaderboard"):
        compare(board, board, "auto")


def test_a_partial_method_is_rendered_with_its_tasks_not_run(tmp_path):
    board = task_scores(_board(tmp_path / "b.csv", {"identity": {"noise": 20.0, "rain": 25.0},
                                                    "denoiser": {"noise": 30.0}}), "psnr↑")
    text = render("tiny", compare(board, board, "denoiser"), "denoiser")
    assert "| noise | 30.00 | 1 | 2 |" in text and "| rain | not run | - | 1 |" in text
    assert "denoiser 27.50, place 1 of 2" in text
