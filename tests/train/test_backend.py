"""The ML backend protocol (train/backend.py), through Starlette's test client: shapes, order,
one model_version everywhere, the same predictions as `propa preannotate`, errors, basic auth."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest

from annotate.cues import load_cues
from annotate.sources.attribution import Attributor
from annotate.sources.registry import load_registry
from annotate.studio.tasks import sentence_to_task
from annotate.taxonomy import load_taxonomy
from annotate.text.corpus import read_sentences
from tests.conftest import SAMPLES
from train.backend import Backend, create_app
from train.models.model import load_model
from train.predictor import Predictor

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

TAX = load_taxonomy()


@pytest.fixture(scope="module")
def predictor(model_dir: Path) -> Predictor:
    return Predictor(TAX, load_model(model_dir), load_cues(TAX), Attributor(load_registry(None, TAX)))


@pytest.fixture
def events() -> list:
    return []


@pytest.fixture
def client(predictor: Predictor, events: list) -> TestClient:
    backend = Backend(predictor, batch_size=16, on_annotations=lambda n, start: events.append((n, start)))
    return TestClient(create_app(backend))


def tasks_of(sentences) -> list[dict]:
    return [{"id": 100 + i, **sentence_to_task(s)} for i, s in enumerate(sentences)]


def test_health_and_setup_give_the_one_model_version(client: TestClient, predictor: Predictor) -> None:
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "UP"
    setup = client.post("/setup", json={"project": "3.1700000000", "schema": "<View/>"})
    assert setup.status_code == 200 and setup.json() == {"model_version": predictor.version}
    assert health.json()["model_version"] == predictor.version


def test_predict_answers_each_task_in_order_as_preannotate_would(client: TestClient, predictor: Predictor) -> None:
    sentences = list(read_sentences(SAMPLES))[:60]
    expected = {p["sentence_id"]: p for p in Predictor(predictor.taxonomy, predictor.model, predictor.cues,
                                                       Attributor(load_registry(None, TAX))).predict(sentences)}
    shuffled = sentences[:]
    random.Random(4).shuffle(shuffled)  # Label Studio sends tasks in the order of its view
    reply = client.post("/predict", json={"tasks": tasks_of(shuffled), "project": "3.1700000000"})
    assert reply.status_code == 200
    results = reply.json()["results"]
    assert len(results) == len(shuffled)
    for sentence, result in zip(shuffled, results):
        made = expected[sentence.id]
        assert result == {"result": made["result"], "score": made["score"], "model_version": predictor.version}
    assert any(item["from_name"] == "source" for r in results for item in r["result"])


def test_a_task_without_its_text_is_one_clear_error(client: TestClient) -> None:
    tasks = tasks_of(list(read_sentences(SAMPLES))[:2])
    del tasks[1]["data"]["text"]
    reply = client.post("/predict", json={"tasks": tasks})
    assert reply.status_code == 400
    assert reply.json() == {"error": "task 101: no 'text' in its data (the tasks of a propa project come from "
                                     "`propa push`)"}
    assert client.post("/predict", content=b"{not json").status_code == 400
    assert client.post("/predict", json={"tasks": "nope"}).json() == {"error": "'tasks' must be a list"}
    assert client.post("/predict", json={"tasks": []}).json()["results"] == []


def test_webhook_counts_annotations_and_passes_start_training(client: TestClient, events: list) -> None:
    assert client.post("/webhook", json={"action": "ANNOTATION_CREATED", "annotation": {"id": 1}}).json() == {
        "status": "queued"}
    assert client.post("/webhook", json={"action": "PROJECT_UPDATED"}).json() == {"status": "ignored"}
    assert client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 3}}).json() == {
        "status": "queued"}
    assert events == [(1, False), (0, True)]


def test_basic_auth_when_set(predictor: Predictor) -> None:
    client = TestClient(create_app(Backend(predictor, basic_auth=("ls", "s3cret"))))
    good = "Basic " + base64.b64encode(b"ls:s3cret").decode()
    bad = "Basic " + base64.b64encode(b"ls:wrong").decode()
    assert client.get("/health").status_code == 200  # Label Studio's health check carries no credentials
    assert client.post("/setup", json={}).status_code == 401
    assert client.post("/setup", json={}, headers={"Authorization": bad}).status_code == 401
    assert client.post("/setup", json={}, headers={"Authorization": good}).status_code == 200
    assert client.post("/predict", json={"tasks": []}, headers={"Authorization": "Basic %%%"}).status_code == 401


def test_a_swap_changes_the_version_served(predictor: Predictor, model_dir: Path) -> None:
    backend = Backend(predictor)
    client = TestClient(create_app(backend))
    sources_only = Predictor(TAX, None, None, Attributor(load_registry(None, TAX)))
    backend.swap(sources_only)
    assert client.post("/setup", json={}).json() == {"model_version": sources_only.version}
    task = tasks_of(list(read_sentences(SAMPLES))[:1])
    assert client.post("/predict", json={"tasks": task}).json()["results"][0]["model_version"] == sources_only.version


# -- the trainer, with a stand-in retrain run in a thread -------------------------------------

class FakeRetrain:
    """Stands for train.retrain.retrain: waits until released, then wins or loses (or fails)."""

    def __init__(self, outcomes: list) -> None:
        import threading

        self.outcomes, self.calls, self.release, self.called = outcomes, [], threading.Event(), threading.Event()

    def __call__(self, model_dir: Path):
        self.calls.append(model_dir)
        self.called.set()
        assert self.release.wait(10)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def outcome(switched: bool, model_dir: Path):
    from train.retrain import RetrainOutcome

    return RetrainOutcome(switched, model_dir, "v", 0.4, 0.5 if switched else 0.3, "v", 10, {"train": 10}, 1.0,
                          "data:test")


def trainer_for(predictor: Predictor, retrain: FakeRetrain, every: int = 3):
    from concurrent.futures import ThreadPoolExecutor

    from train.backend import Trainer

    backend = Backend(predictor)
    loaded, switched = [], []

    def load(model_dir: Path) -> Predictor:
        loaded.append(model_dir)
        return Predictor(TAX, None, None, Attributor(load_registry(None, TAX)))

    trainer = Trainer(backend, retrain, Path("served"), load, every=every, on_switch=switched.append,
                      executor=ThreadPoolExecutor(max_workers=1))
    backend.on_annotations = trainer.notify
    return backend, trainer, loaded, switched


def test_the_trainer_waits_for_n_annotations_then_swaps_a_winner(predictor: Predictor) -> None:
    retrain = FakeRetrain([outcome(True, Path("models/r1"))])
    backend, trainer, loaded, switched = trainer_for(predictor, retrain)
    client = TestClient(create_app(backend))
    for _ in range(2):
        client.post("/webhook", json={"action": "ANNOTATION_CREATED"})
    assert retrain.calls == [] and not trainer.running  # 2 of 3
    client.post("/webhook", json={"action": "ANNOTATION_UPDATED"})
    assert trainer.running and retrain.called.wait(10)
    assert client.get("/health").json()["training"] == "training"
    assert client.post("/setup", json={}).json()["model_version"] == predictor.version  # still the old one
    retrain.release.set()
    trainer.wait(10)
    assert retrain.calls == [Path("served")] and loaded == [Path("models/r1")] and len(switched) == 1
    assert backend.version != predictor.version and trainer.model_dir == Path("models/r1")
    assert client.get("/health").json()["training"] == "idle"


def test_one_retrain_at_a_time_and_a_loser_or_a_failure_changes_nothing(predictor: Predictor) -> None:
    retrain = FakeRetrain([outcome(False, Path("served")), RuntimeError("the server went away")])
    backend, trainer, loaded, switched = trainer_for(predictor, retrain, every=2)
    trainer.notify(0, start=True)  # "Start training"
    assert retrain.called.wait(10)  # the run has begun (in the executor's thread)
    trainer.notify(1)
    trainer.notify(1)  # two more while it runs: queued, not a second run at once
    assert len(retrain.calls) == 1
    retrain.release.set()
    trainer.wait(10)
    trainer.wait(10)  # the queued one, started when the first ended
    assert len(retrain.calls) == 2 and loaded == [] and switched == []
    assert backend.version == predictor.version and trainer.errors == ["the server went away"]
    assert [o.switched for o in trainer.outcomes] == [False]
