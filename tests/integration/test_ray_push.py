"""`propa preannotate --engine ray --push` into a real Label Studio: the shards' predictions on their
tasks, once, even when the command is run again."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from annotate.text.corpus import read_sentences
from tests.conftest import SAMPLES

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.integration


def test_ray_shards_pushed_onto_their_tasks_once(server, admin, model_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", server.conn.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", server.conn.api_key)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        args = ["preannotate", str(SAMPLES), "-m", str(model_dir), "--engine", "ray", "-o", str(tmp_path / "ray"),
                "--shard-size", "3", "--push", "--project", "Ray"]
        for _ in range(2):  # the second run: every shard already there, every prediction already pushed
            done = CliRunner().invoke(cli, args, catch_exceptions=False)
            assert done.exit_code == 0, done.output
    finally:
        ray.shutdown()
    assert "0 predictions added" in done.output and "3 shards already" in done.output
    project = admin.find_project("Ray")
    sentences = list(read_sentences(SAMPLES))
    tasks = admin.task_ids_by_sentence(project.id)
    assert set(tasks) == {s.id for s in sentences}
    counts = Counter(p.task for p in admin.sdk.predictions.list(project=project.id))
    assert set(counts) == set(tasks.values()) and set(counts.values()) == {1}
