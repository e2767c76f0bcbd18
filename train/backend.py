"""The model backend Label Studio calls (`propa serve`): its ML backend protocol over HTTP.

Label Studio 1.23.2 calls (time limits are its own):

- ``GET /health`` (1 s): answered from memory, whatever else is running;
- ``POST /setup`` (3 s): ``{"model_version": ...}``, the version of every prediction served;
- ``POST /predict`` (100 s): ``{"tasks": [...]}`` -> ``{"results": [...]}``, one prediction per
  task, in the order of the tasks, made by :class:`train.predictor.Predictor` (the function
  `propa preannotate` uses), in batches;
- ``POST /webhook`` (1 s): project events; annotations are counted and handed to the trainer,
  which runs outside the request (see :mod:`train.retrain`).

The model served is swapped whole (a new Predictor) when a retrain wins; a request holds the
Predictor it started with, so it never mixes two versions.
"""

from __future__ import annotations

import base64
import hmac
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from annotate.errors import InputError
from annotate.studio.tasks import task_to_sentence
from train.predictor import Predictor

log = logging.getLogger("propa.backend")

# Label Studio's events that change what the trainer learns from.
ANNOTATION_EVENTS = frozenset({"ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED"})
START_TRAINING = "START_TRAINING"


class Backend:
    """What the service holds: the Predictor served, and where annotation events go."""

    def __init__(self, predictor: Predictor, batch_size: int | None = None,
                 on_annotations: Callable[[int, bool], None] | None = None,
                 basic_auth: tuple[str, str] | None = None) -> None:
        self._predictor = predictor
        self._lock = threading.Lock()
        self._predicting = threading.Lock()  # one request scores at a time: the cores are the limit
        self.batch_size = batch_size
        self.on_annotations = on_annotations
        self.basic_auth = basic_auth
        self.status = "idle"  # what the trainer is doing, shown by /health

    @property
    def predictor(self) -> Predictor:
        with self._lock:
            return self._predictor

    def swap(self, predictor: Predictor) -> None:
        with self._lock:
            self._predictor = predictor
        log.info("now serving model_version %s", predictor.version)

    @property
    def version(self) -> str:
        return self.predictor.version

    def predict(self, tasks: list) -> list[dict]:
        """One Label Studio prediction per task, in order. The tasks of one request are read as
        `propa preannotate` reads a corpus, article by article in order, so a pronoun resolves to
        a source named in an earlier sentence of the request; nothing is carried from one request
        to the next (a task opened alone is read alone)."""
        if not isinstance(tasks, list):
            raise InputError("'tasks' must be a list")
        sentences = [task_to_sentence(task, i) for i, task in enumerate(tasks)]
        order = sorted(range(len(sentences)), key=lambda i: (sentences[i].article_id, sentences[i].start, i))
        predictor = self.predictor  # one version for the whole request
        with self._predicting:
            predictor.forget()
            made = predictor.predict([sentences[i] for i in order], batch_size=self.batch_size)
        results: list[dict] = [{}] * len(sentences)
        for i, prediction in zip(order, made):
            results[i] = {"result": prediction["result"], "score": prediction["score"],
                          "model_version": prediction["model_version"]}
        return results

    def event(self, payload: object) -> str:
        """A webhook event: annotations are counted for the trainer; returns what was done."""
        action = payload.get("action") if isinstance(payload, dict) else None
        if self.on_annotations is None or action not in ANNOTATION_EVENTS | {START_TRAINING}:
            return "ignored"
        self.on_annotations(0 if action == START_TRAINING else 1, action == START_TRAINING)
        return "queued"

    def authorised(self, header: str | None) -> bool:
        if self.basic_auth is None:
            return True
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(user, self.basic_auth[0]) & hmac.compare_digest(password, self.basic_auth[1])


def create_app(backend: Backend):
    """The Starlette application for ``backend`` (served by uvicorn in `propa serve`)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def refused() -> JSONResponse:
        return JSONResponse({"error": "authentication required"}, status_code=401,
                            headers={"WWW-Authenticate": 'Basic realm="propa"'})

    async def body(request: Request) -> dict:
        try:
            payload = await request.json()
        except ValueError:
            raise InputError("the request body is not JSON") from None
        if not isinstance(payload, dict):
            raise InputError("the request body must be a JSON object")
        return payload

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "UP", "model_class": "propa", "model_version": backend.version,
                             "training": backend.status})

    async def setup(request: Request) -> JSONResponse:
        if not backend.authorised(request.headers.get("authorization")):
            return refused()
        try:
            await body(request)
        except InputError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        return JSONResponse({"model_version": backend.version})

    async def predict(request: Request) -> JSONResponse:
        from starlette.concurrency import run_in_threadpool

        if not backend.authorised(request.headers.get("authorization")):
            return refused()
        try:
            payload = await body(request)
            results = await run_in_threadpool(backend.predict, payload.get("tasks"))
        except InputError as err:
            log.warning("/predict refused: %s", err)
            return JSONResponse({"error": str(err)}, status_code=400)
        return JSONResponse({"results": results, "model_version": backend.version})

    async def webhook(request: Request) -> JSONResponse:
        if not backend.authorised(request.headers.get("authorization")):
            return refused()
        try:
            payload = await body(request)
        except InputError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        return JSONResponse({"status": backend.event(payload)})

    return Starlette(routes=[
        Route("/", health, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/setup", setup, methods=["POST"]),
        Route("/predict", predict, methods=["POST"]),
        Route("/webhook", webhook, methods=["POST"]),
    ])


# -- the trainer: retrains outside the requests ------------------------------------------

@dataclass(frozen=True)
class RetrainJob:
    """What a retrain needs, sent whole to the child process that runs it (the API key travels
    through the pipe, never on a command line)."""

    conn: object  # annotate.studio.settings.Connection
    project: str
    work: Path
    taxonomy_path: str | None = None
    base_data: Path | None = None
    overrides: tuple[str, ...] = ()


def _retrain(job: RetrainJob, model_dir: Path):
    from annotate.taxonomy import load_taxonomy
    from train.retrain import retrain

    return retrain(job.conn, load_taxonomy(job.taxonomy_path), job.project, model_dir, job.work, job.base_data,
                   job.overrides)


def retrain_job(job: RetrainJob) -> Callable[[Path], object]:
    """model folder -> RetrainOutcome for ``job``, picklable, for the child process."""
    import functools

    return functools.partial(_retrain, job)


class Trainer:
    """Counts annotation events; after ``every`` of them, or on Label Studio's "Start training", runs
    one retrain (:func:`train.retrain.retrain`) in a child process, one at a time, so the service
    keeps answering (its /health within Label Studio's 1 s). A retrain that wins swaps the model
    served (``load`` makes the Predictor of a model folder) and calls ``on_switch``."""

    def __init__(self, backend: Backend, retrain: Callable[[Path], object], model_dir: Path,
                 load: Callable[[Path], Predictor], every: int = 50, on_switch: Callable[[object], None] | None = None,
                 executor=None) -> None:
        """``retrain`` (model folder served -> RetrainOutcome) runs in ``executor``: by default a child
        process (``retrain`` must then be picklable: :func:`retrain_job`)."""
        self.backend, self.retrain, self.model_dir, self.load = backend, retrain, Path(model_dir), load
        self.every, self.on_switch = every, on_switch
        self._executor = executor
        self.pending = 0
        self.running = False
        self.outcomes: list = []  # every RetrainOutcome, in order
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def notify(self, count: int, start: bool = False) -> None:
        with self._lock:
            self.pending += count
            if self.running or not (start or (self.every > 0 and self.pending >= self.every)):
                return
            self.running, self.pending = True, 0
            self._thread = threading.Thread(target=self._run, name="propa-retrain", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.backend.status = "training"
        try:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            outcome = self._executor.submit(self.retrain, self.model_dir).result()
        except Exception as err:  # a failed retrain keeps the model served; say why
            message = str(err) or type(err).__name__
            self.errors.append(message)
            log.error("retrain failed, still serving %s: %s", self.backend.version, message)
        else:
            self.outcomes.append(outcome)
            log.info("retrain: %s", outcome.describe())
            if outcome.switched:
                self.model_dir = outcome.model_dir
                self.backend.swap(self.load(outcome.model_dir))
                if self.on_switch is not None:
                    try:
                        self.on_switch(outcome)
                    except Exception as err:
                        log.error("serving %s, but could not tell Label Studio: %s", self.backend.version, err)
        finally:
            with self._lock:
                self.running = False
                again = self.every > 0 and self.pending >= self.every
            self.backend.status = "idle"
            if again:
                self.notify(0)

    def wait(self, timeout: float | None = None) -> None:
        """Until the retrain running now (if any) ends."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
