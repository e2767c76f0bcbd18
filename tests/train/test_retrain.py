"""The pieces of a retrain that need no server: which model a work folder serves after a restart,
and the names of the retrained models (the whole loop runs against a real Label Studio in
tests/integration/test_backend.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from train.retrain import CURRENT_FILE, _generation, current_model


def test_a_restart_serves_the_last_model_that_won(model_dir: Path, tmp_path: Path) -> None:
    default = tmp_path / "the-model-given"
    assert current_model(tmp_path / "work", default) == default  # no retrain yet
    work = tmp_path / "work"
    work.mkdir()
    won = shutil.copytree(model_dir, work / "models" / "tfidf-r1")
    (work / CURRENT_FILE).write_text(json.dumps({"model": str(won)}), encoding="utf-8")
    assert current_model(work, default) == won


def test_a_half_written_or_missing_model_is_never_picked_up(model_dir: Path, tmp_path: Path) -> None:
    default = tmp_path / "given"
    work = tmp_path / "work"
    broken = shutil.copytree(model_dir, work / "models" / "tfidf-r2")
    (broken / "tfidf.safetensors").unlink()  # a folder cut short
    (work / CURRENT_FILE).write_text(json.dumps({"model": str(broken)}), encoding="utf-8")
    assert current_model(work, default) == default
    (work / CURRENT_FILE).write_text(json.dumps({"model": str(work / "gone")}), encoding="utf-8")
    assert current_model(work, default) == default
    (work / CURRENT_FILE).write_text("{torn", encoding="utf-8")
    assert current_model(work, default) == default


def test_retrained_models_are_numbered_after_the_last(tmp_path: Path) -> None:
    assert _generation(tmp_path) == 1
    for name in ("tfidf-r1", "tfidf-r3", "tfidf-rx", "other"):
        (tmp_path / "models" / name).mkdir(parents=True)
    assert _generation(tmp_path) == 4
