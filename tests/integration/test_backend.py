"""`propa serve` against a real Label Studio: connected to a project, it predicts when a task is
opened and on "Retrieve predictions"; annotations submitted through the API trigger a retrain that
switches the model served; a worse model is refused; a restart serves the model that won."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from annotate.dataset import load_dataset_dict, save_dataset_dict
from annotate.studio.push import push
from annotate.studio.tasks import task_to_sentence
from annotate.taxonomy import load_taxonomy
from annotate.text.corpus import ingest
from tests.builders import write_config
from tests.conftest import ROOT, SAMPLES
from tests.integration.conftest import free_port
from train.models.config import load_train_config
from train.models.training import train_model
from train.retrain import CURRENT_FILE

pytestmark = pytest.mark.integration
TAX = load_taxonomy()
TITLE = "Modèle en direct"
EVERY = 10  # annotations between retrains


@dataclass
class Served:
    process: subprocess.Popen
    url: str
    log: Path
    work: Path

    def setup(self) -> str:
        return httpx.post(f"{self.url}/setup", json={"project": "1.0"}, timeout=5).json()["model_version"]


def propa(*args: str, state: Path) -> list[str]:
    return [sys.executable, "-m", "annotate.cli", *args]


def environment(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")}
    return {**env, "PROPA_HOME": str(state), "TQDM_DISABLE": "1"}


@pytest.fixture(scope="module")
def small_model(labelled_split: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on a quarter of the seed set's train split: what annotators improve on."""
    folder = tmp_path_factory.mktemp("small")
    data = load_dataset_dict(labelled_split)
    articles = sorted(set(data["train"]["article_id"]))[: len(set(data["train"]["article_id"])) // 4]
    data["train"] = data["train"].filter(lambda row: row["article_id"] in articles)
    save_dataset_dict(data, folder / "split")
    return train_model(load_train_config(write_config(folder, "tfidf", folder / "split")), TAX).output


@pytest.fixture(scope="module")
def project(server, tmp_path_factory: pytest.TempPathFactory) -> int:
    """The samples and the first gold articles, 240 sentences, pushed to their own project."""
    folder = tmp_path_factory.mktemp("live")
    corpus = folder / "sentences.jsonl"
    ingest([SAMPLES, ROOT / "corpus" / "gold" / "articles.jsonl"], corpus, progress=False)
    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)[:240]
    corpus.write_text("".join(lines), encoding="utf-8")
    return push(corpus, server.conn, TAX, TITLE).project_id


def start(server, model: Path, base: Path, work: Path, port: int, *extra: str) -> Served:
    log = work.parent / f"serve-{port}.log"
    process = subprocess.Popen(
        propa("serve", "-m", str(model), "--project", TITLE, "--port", str(port), "--work", str(work),
              "--base-data", str(base), "--retrain-every", str(EVERY), *extra, state=server.state),
        stdout=log.open("w"), stderr=subprocess.STDOUT, env=environment(server.state), cwd=ROOT)
    deadline = time.monotonic() + 180
    while "to project" not in log.read_text(encoding="utf-8"):
        assert process.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
        time.sleep(0.5)
    return Served(process, f"http://127.0.0.1:{port}", log, work)


def stop(served: Served) -> None:
    served.process.terminate()
    served.process.wait(timeout=30)


@pytest.fixture(scope="module")
def served(server, project: int, small_model: Path, labelled_split: Path, tmp_path_factory):
    work = tmp_path_factory.mktemp("backend") / "work"
    work.mkdir()
    backend = start(server, small_model, labelled_split, work, free_port())
    yield backend
    if backend.process.poll() is None:
        stop(backend)


def open_task(server, project: int, task_id: int) -> dict:
    """GET the task as the labeling screen does when an annotator opens it."""
    response = httpx.get(f"{server.conn.url}/api/tasks/{task_id}/", params={"project": project},
                         headers={"Authorization": f"Token {server.conn.api_key}"}, timeout=120)
    response.raise_for_status()
    return response.json()


def test_connected_with_one_model_version_everywhere(admin, project: int, served: Served) -> None:
    version = served.setup()
    [backend] = admin.sdk.ml.list(project=project)
    assert backend.url == served.url and backend.title == version and backend.model_version == version
    assert admin.get_project(project).model_version == version
    assert f"{served.url}/webhook" in admin.webhook_urls(project)  # the training events will arrive
    assert httpx.get(f"{served.url}/health", timeout=1).json()["status"] == "UP"


def test_opening_a_task_gets_the_prediction_preannotate_would_make(server, admin, project: int,
                                                                   served: Served, small_model: Path) -> None:
    from annotate.cues import load_cues
    from annotate.sources.attribution import Attributor
    from annotate.sources.kinds import kind_model
    from annotate.sources.registry import load_registry
    from train.models.model import load_model
    from train.predictor import Predictor

    task_id = sorted(admin.task_ids_by_sentence(project).values())[3]
    opened = open_task(server, project, task_id)
    [prediction] = opened["predictions"]
    version = served.setup()
    assert prediction["model_version"] == version
    alone = Predictor(TAX, load_model(small_model), load_cues(TAX),
                      Attributor(load_registry(None, TAX), kinds=kind_model("learned", ())))
    [expected] = alone.predict([task_to_sentence(opened)])
    assert alone.version == version
    assert prediction["result"] == expected["result"] and prediction["score"] == pytest.approx(expected["score"])


def test_retrieve_predictions_fills_every_task(admin, project: int, served: Served) -> None:
    started = time.monotonic()
    admin.backend_predict(project)  # the Data Manager's "Retrieve predictions" on every task
    seconds = time.monotonic() - started
    version = served.setup()
    counts: dict[int, int] = {}
    for prediction in admin.sdk.predictions.list(project=project):
        assert prediction.model_version == version
        counts[prediction.task] = counts.get(prediction.task, 0) + 1
    assert len(counts) == 240 and set(counts.values()) == {1}, seconds  # every task, once


def test_annotations_trigger_a_retrain_that_switches_the_model(server, admin, project: int, served: Served) -> None:
    before = served.setup()
    tasks = sorted(admin.task_ids_by_sentence(project).values())
    for task_id in tasks[:EVERY]:
        admin.create_annotation(task_id, [{"from_name": "technique_sourcing", "to_name": "sentence",
                                           "type": "choices", "value": {"choices": ["vague_sourcing"]}}],
                                lead_time=3.0)
    deadline = time.monotonic() + 240
    while served.setup() == before:
        assert time.monotonic() < deadline, served.log.read_text(encoding="utf-8")
        assert httpx.get(f"{served.url}/health", timeout=1).status_code == 200  # answers while training
        time.sleep(1)
    after = served.setup()
    assert after.startswith("tfidf-r1@") and "+sources@" in after
    assert "retrain: switched to" in served.log.read_text(encoding="utf-8")
    while admin.get_project(project).model_version != after:  # told right after the swap
        assert time.monotonic() < deadline, served.log.read_text(encoding="utf-8")
        time.sleep(0.2)
    [backend] = admin.sdk.ml.list(project=project)
    assert backend.title == after
    recorded = json.loads((served.work / CURRENT_FILE).read_text(encoding="utf-8"))
    assert recorded["held_out_micro_f1"] >= recorded["previous_micro_f1"]
    # The next task opened without a prediction of this version gets one from the new model.
    admin.sdk.actions.create(id="delete_tasks_predictions", project=project,
                             selected_items={"all": False, "included": [tasks[-1]]})
    assert [p["model_version"] for p in open_task(server, project, tasks[-1])["predictions"]] == [after]


def test_a_worse_model_is_refused_and_a_restart_serves_the_winner(server, project: int, served: Served,
                                                                  small_model: Path, labelled_split: Path) -> None:
    serving = served.setup()
    current = (served.work / CURRENT_FILE).read_bytes()
    done = subprocess.run(propa("retrain", "-m", str(small_model), "--project", TITLE, "--work", str(served.work),
                                "--base-data", str(labelled_split), "--set", "tfidf.C=0.0001",
                                "--set", "tfidf.max_features=20", state=server.state),
                          capture_output=True, text=True, env=environment(server.state), cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "kept the current model; refused tfidf-r2@" in done.stdout, done.stdout
    assert (served.work / CURRENT_FILE).read_bytes() == current  # nothing switched
    assert not (served.work / "models" / "tfidf-r2").exists()
    stop(served)
    again = start(server, small_model, labelled_split, served.work, free_port())
    try:
        assert again.setup() == serving  # the retrained model, not -m
        assert "the last retrain that won" in again.log.read_text(encoding="utf-8")
    finally:
        stop(again)


def test_retrain_once_then_pre_annotate_the_unlabelled_tasks(server, admin, small_model: Path, labelled_split: Path,
                                                           tmp_path: Path) -> None:
    """`propa retrain` on its own: the annotations of another project make a better model, which then
    pre-annotates every task nobody annotated, pushed with its model_version."""
    corpus = tmp_path / "sentences.jsonl"
    ingest([SAMPLES], corpus, progress=False)
    project = push(corpus, server.conn, TAX, "Réentraînement").project_id
    tasks = sorted(admin.task_ids_by_sentence(project).values())
    for task_id in tasks[:5]:
        admin.create_annotation(task_id, [{"from_name": "technique_sourcing", "to_name": "sentence",
                                           "type": "choices", "value": {"choices": ["vague_sourcing"]}}])
    done = subprocess.run(propa("retrain", "-m", str(small_model), "--project", "Réentraînement", "--work",
                                str(tmp_path / "work"), "--base-data", str(labelled_split), "--no-sources",
                                state=server.state),
                          capture_output=True, text=True, env=environment(server.state), cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()[:2]
    assert first.startswith("switched to tfidf-r1@"), done.stdout
    assert second.startswith(f"{len(tasks) - 5} unlabelled tasks pre-annotated with tfidf-r1@"), done.stdout
    version = json.loads((tmp_path / "work" / CURRENT_FILE).read_text(encoding="utf-8"))["model_version"]
    predicted = {p.task: p.model_version for p in admin.sdk.predictions.list(project=project)}
    assert predicted == {task_id: version for task_id in tasks[5:]}  # the annotated ones are left alone
    assert admin.get_project(project).model_version == version
