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
