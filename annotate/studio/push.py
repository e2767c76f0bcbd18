"""Sentence corpus -> tasks in a Label Studio project, idempotently.

The project is created from the taxonomy, or found by title or id. Tasks are keyed on the
sentence id: the ids already in the project are read first and only the missing sentences
are imported, in batches. A push that dies midway (server killed, network down) is simply
run again: each batch is one server transaction, so every sentence ends up there once.

Against a second process and a lost answer:

- a batch is sent once; when its answer is lost (dropped connection, 5xx), the project's
  sentence ids are read again and only what did not arrive is sent, a few times;
- a project created while another process created one with the same title is deleted in
  favour of the lowest id, so both go on in the same project;
- pushes from this machine take a lock in the state folder, one at a time;
- after importing (and whenever a push finds some) tasks holding the same sentence id are
  reduced to one: annotated tasks are never deleted, otherwise the lowest task id stays.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Container, Iterable, Iterator

from annotate.text.corpus import Sentence, read_corpus
from annotate.errors import InputError, PropaError, ServerError, TransientServerError
from annotate.studio.client import IMPORT_BATCH, LabelStudioClient, batched
from annotate.studio.settings import Connection
from annotate.taxonomy import Taxonomy, guidelines_html, label_config
from annotate.studio.tasks import sentence_to_task

DEFAULT_PROJECT = "Propa : techniques et sources"


@dataclass(frozen=True)
class PushSummary:
    project_id: int
    project_url: str
    created: bool  # the project was created by this push
    sentences: int  # distinct sentences in the corpus
    already_there: int
    imported: int
    duplicates_removed: int = 0  # extra tasks of a sentence id, deleted
    duplicates_kept: int = 0  # extra tasks left because they hold annotations


# Waits between the tries of a batch whose answer was lost (the SDK's were 1 s then 2 s).
RETRY_WAITS = (1.0, 2.0, 4.0, 8.0)


@contextlib.contextmanager
def push_lock(path: Path | None, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """An exclusive lock on ``path`` (created), held while the block runs; None: no lock.

    Released by the kernel when the process ends, however it ends.
    """
    if path is None:
        yield
        return
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def duplicate_tasks(tasks: dict[str, list[tuple[int, int]]]) -> tuple[list[int], int]:
    """Which tasks to delete so that each sentence id has one: ``(task ids, extras kept)``.

    ``tasks`` maps a sentence id to its ``(task id, annotations)``. Tasks with annotations
    all stay (they are counted as kept when there are two or more); a sentence whose tasks
    hold none keeps its lowest task id.
    """
    delete: list[int] = []
    kept = 0
    for found in tasks.values():
        if len(found) < 2:
            continue
        annotated = [task for task, annotations in found if annotations]
        keep = set(annotated) if annotated else {min(task for task, _ in found)}
        kept += len(keep) - 1
        delete.extend(sorted(task for task, _ in found if task not in keep))
    return delete, kept


def remove_duplicates(client: LabelStudioClient, project_id: int,
                      tasks: dict[str, list[tuple[int, int]]] | None = None) -> tuple[int, int]:
    """Reduce the project's tasks to one per sentence id; ``(deleted, extras kept)``.

    The task list's annotation counts can lag behind an annotation just saved, so before anything
    goes, the annotations of every task of a duplicated sentence are counted again from the
    annotations themselves: an annotated task is never deleted."""
    tasks = tasks if tasks is not None else client.tasks_by_sentence(project_id)
    delete, kept = duplicate_tasks(tasks)
    if delete:
        duplicated = {sentence: found for sentence, found in tasks.items() if len(found) > 1}
        counts = client.annotation_counts([task for found in duplicated.values() for task, _ in found])
        delete, kept = duplicate_tasks({sentence: [(task, counts[task]) for task, _ in found]
                                        for sentence, found in duplicated.items()})
    client.delete_tasks(project_id, delete)
    return len(delete), kept


def _with_retries(send: Callable[[list], int], pending: Callable[[list], list], batch: list,
                  waits: Iterable[float] = RETRY_WAITS) -> int:
    """Send ``batch``; after a lost answer wait, keep what ``pending`` says did not arrive,
    and send that. Returns how many arrived (those the server had saved included)."""
    waits = iter(waits)
    remaining = batch
    while True:
        try:
            return len(batch) - len(remaining) + send(remaining)
        except TransientServerError:
            wait = next(waits, None)
            if wait is None:
                raise
        while True:  # the server may still be coming back: checking may fail too
            time.sleep(wait)
            try:
                remaining = pending(remaining)
                break
            except ServerError:
                wait = next(waits, None)
                if wait is None:
                    raise
        if not remaining:
            return len(batch)


# The Data Manager tab a new project opens on (Label Studio adds no "Default" tab when a
# project already has one): least certain pre-annotation first, its score and labels, the
# sentence (its paragraph shows in the labeling screen). Made once, when propa creates the
# project; never changed after, so that the team's own tabs and edits are theirs.
REVIEW_VIEW = "À corriger d'abord"
_TASK_DATA = ("sentence_id", "paragraph", "title", "outlet", "date", "url", "author", "article_id",
              "paragraph_index", "start", "end")
_HIDDEN = tuple(f"tasks:data.{name}" for name in _TASK_DATA) + tuple(f"tasks:{name}" for name in (
    "inner_id", "file_upload", "storage_filename", "created_at", "updated_at", "updated_by", "annotations_ids",
    "annotations_results", "predictions_model_versions", "avg_lead_time", "draft_exists", "annotators",
    "cancelled_annotations", "total_predictions", "completed_at"))


def create_review_view(client: LabelStudioClient, project_id: int) -> None:
    client.create_view(project_id, REVIEW_VIEW, ["tasks:predictions_score"], list(_HIDDEN))


def _retry_transient(call: Callable[[], tuple[int, int]], waits: Iterable[float] = RETRY_WAITS) -> tuple[int, int]:
    """``call()``, again after each wait while the server is down or answers 5xx (it is
    idempotent: a listing, deletions of what that listing found)."""
    waits = iter(waits)
    while True:
        try:
            return call()
        except TransientServerError:
            wait = next(waits, None)
            if wait is None:
                raise
            time.sleep(wait)


def _not_there(client: LabelStudioClient, project_id: int) -> Callable[[list[dict]], list[dict]]:
    """For :func:`_with_retries`: the tasks of a batch whose sentence id the project lacks."""
    def not_there(tasks: list[dict]) -> list[dict]:
        there = client.tasks_by_sentence(project_id)
        return [task for task in tasks if task["data"]["sentence_id"] not in there]
    return not_there


def local_lock() -> Path | None:
    """The lock pushes from this machine share: in the state folder, when there is one."""
    from annotate.studio.settings import state_dir

    state = state_dir()
    return state / "push.lock" if state.is_dir() else None


def overlap_settings(overlap: int | None, overlap_share: float | None) -> dict[str, int]:
    """Label Studio's overlap settings: ``overlap`` annotators on ``overlap_share`` of the tasks."""
    if overlap is None:
        if overlap_share is not None:
            raise InputError("--overlap-share needs --overlap (how many annotators share a task)")
        return {}
    if overlap < 1:
        raise InputError("--overlap must be at least 1")
    share = 1.0 if overlap_share is None else overlap_share
    if not 0 < share <= 1:
        raise InputError("--overlap-share must be in (0, 1], e.g. 0.2 for a fifth of the tasks")
    return {"maximum_annotations": overlap, "overlap_cohort_percentage": round(100 * share)}


def open_project(
    client: LabelStudioClient, ref: str, taxonomy: Taxonomy, update_config: bool = False,
    settings: dict | None = None,
) -> tuple[int, bool]:
    """The project's id, creating it from the taxonomy when no project has that title.

    ``settings`` (e.g. :func:`overlap_settings`) are applied on creation, and to an
    existing project too.
    """
    config = label_config(taxonomy)
    settings = settings or {}
    project = client.find_project(ref)
    if project is None:  # an unknown id has already raised: this is a new title
        created = client.create_project(ref, config, guidelines_html(taxonomy), **settings)
        try:  # the strict check needs a project to check against
            client.validate_label_config(config, created.id)
        except PropaError:
            client.delete_project(created.id)
            raise
        first = client.projects_titled(ref)[0]
        if first.id == created.id:
            create_review_view(client, created.id)
            return created.id, True
        # another process created one with this title meanwhile: both go on in the first
        client.delete_project(created.id)
        project = client.get_project(first.id)
    if (project.label_config or "").strip() != config.strip():
        if not update_config:
            raise PropaError(
                f"project {project.id} ('{project.title}') has a labeling config that differs from "
                f"{taxonomy.path}; rerun with --update-config to replace it"
            )
        client.validate_label_config(config, project.id)
        client.update_project(project.id, label_config=config, expert_instruction=guidelines_html(taxonomy))
    if settings:
        client.update_project(project.id, **settings)
    return project.id, False


def new_tasks(
    sentences: Iterable[Sentence], existing: Container[str], counts: dict[str, int],
    predictions: Callable[[Sentence], list[dict] | None] | None = None,
) -> Iterator[dict]:
    """Tasks for the sentences not yet in the project; repeats within the corpus are skipped."""
    seen: set[str] = set()
    for sentence in sentences:
        if sentence.id in seen:
            continue
        seen.add(sentence.id)
        counts["sentences"] += 1
        if sentence.id in existing:
            counts["already_there"] += 1
            continue
        yield sentence_to_task(sentence, predictions(sentence) if predictions else None)


def push_sentences(
    client: LabelStudioClient,
    project_id: int,
    sentences: Iterable[Sentence],
    batch_size: int = IMPORT_BATCH,
    predictions: Callable[[Sentence], list[dict] | None] | None = None,
    progress: bool | None = None,
    total: int | None = None,
) -> dict[str, int]:
    """Import the sentences missing from the project; returns the counts."""
    from tqdm import tqdm

    project = client.get_project(project_id)
    found = client.tasks_by_sentence(project_id) if project.task_number else {}
    counts = {"sentences": 0, "already_there": 0, "imported": 0, "duplicates_removed": 0, "duplicates_kept": 0}

    not_there = _not_there(client, project_id)
    disable = None if progress is None else not progress
    with tqdm(unit=" sentences", desc="push", total=total, disable=disable) as bar:
        for batch in batched(new_tasks(sentences, found, counts, predictions), batch_size):
            counts["imported"] += _with_retries(lambda b: client.import_tasks(project_id, b), not_there, batch)
            bar.update(counts["sentences"] - bar.n)
        bar.update(counts["sentences"] - bar.n)
    if counts["imported"] or any(len(tasks) > 1 for tasks in found.values()):
        # another process may have pushed the same sentences meanwhile: check what is there now
        removed, kept = _retry_transient(lambda: remove_duplicates(client, project_id))
        counts["duplicates_removed"], counts["duplicates_kept"] = removed, kept
    return counts


def push(
    corpus: Path,
    conn: Connection,
    taxonomy: Taxonomy,
    project: str = DEFAULT_PROJECT,
    batch_size: int = IMPORT_BATCH,
    update_config: bool = False,
    progress: bool | None = None,
    settings: dict | None = None,
    lock: Path | None = None,
    on_wait: Callable[[], None] | None = None,
) -> PushSummary:
    """Push a sentence corpus written by `propa ingest` to a Label Studio project.

    ``lock``: a file locked while the project is opened and the tasks imported (the CLI
    uses one in the state folder); ``on_wait`` is called if another process holds it.
    """
    # Read it whole once first: a bad line fails the push before anything is sent.
    total = sum(1 for _ in read_corpus(corpus))
    if not total:
        raise InputError(f"{corpus}: no sentences (an empty corpus)")
    client = LabelStudioClient(conn)
    with push_lock(lock, on_wait):
        project_id, created = open_project(client, project, taxonomy, update_config, settings)
        counts = push_sentences(client, project_id, read_corpus(corpus), batch_size, progress=progress, total=total)
    return PushSummary(project_id, client.project_url(project_id), created, counts["sentences"],
                       counts["already_there"], counts["imported"], counts["duplicates_removed"],
                       counts["duplicates_kept"])


UNCERTAINTY_SAMPLING = "Uncertainty sampling"


@dataclass(frozen=True)
class PredictionPushSummary:
    project_id: int
    project_url: str
    added: int  # predictions added to existing tasks
    already_there: int  # tasks that already had a prediction of this model version
    imported_tasks: int  # sentences that had no task, imported with their prediction
    model_version: str


def as_label_studio_prediction(prediction: dict) -> dict:
    """Our prediction line -> what Label Studio stores (result, score, model_version)."""
    return {"result": prediction["result"], "score": prediction["score"],
            "model_version": prediction["model_version"]}


def push_predictions(
    conn: Connection, taxonomy: Taxonomy, project: str, sentences: Iterable[Sentence],
    predictions: dict[str, dict], model_version: str, uncertainty_sampling: bool = False,
    batch_size: int = IMPORT_BATCH, progress: Callable[[int], None] | None = None,
    lock: Path | None = None, on_wait: Callable[[], None] | None = None,
) -> PredictionPushSummary:
    """Put predictions (sentence id -> prediction line) into a project, without duplicates.

    Tasks that match by sentence id get the prediction in bulk imports, unless they already
    hold one of this model version; sentences without a task are imported with it. The
    project's model_version is then set, so that annotators see these predictions, and
    with ``uncertainty_sampling`` its sampling too (lowest prediction score first). A batch
    whose answer was lost is checked and only what did not arrive is sent again.
    """
    client = LabelStudioClient(conn)
    with push_lock(lock, on_wait):
        return _push_predictions(client, taxonomy, project, sentences, predictions, model_version,
                                 uncertainty_sampling, batch_size, progress)


def _push_predictions(
    client: LabelStudioClient, taxonomy: Taxonomy, project: str, sentences: Iterable[Sentence],
    predictions: dict[str, dict], model_version: str, uncertainty_sampling: bool,
    batch_size: int, progress: Callable[[int], None] | None,
) -> PredictionPushSummary:
    project_id, _ = open_project(client, project, taxonomy)
    index = client.prediction_versions_by_sentence(project_id)
    added = already = imported = 0
    pending = []
    for sentence_id, prediction in predictions.items():
        if sentence_id not in index:
            continue
        task_id, versions = index[sentence_id]
        if model_version in versions:
            already += 1
            continue
        pending.append({"task": task_id, **as_label_studio_prediction(prediction)})
    def without_this_version(batch: list[dict]) -> list[dict]:
        tasks = {task_id: versions for task_id, versions in client.prediction_versions_by_sentence(project_id).values()}
        return [p for p in batch if model_version not in tasks.get(p["task"], ())]

    for batch in batched(pending, batch_size):
        added += _with_retries(lambda b: client.import_predictions(project_id, b), without_this_version, batch)
        if progress is not None:
            progress(len(batch))
    predicted = (s for s in sentences if s.id in predictions)
    counts = {"sentences": 0, "already_there": 0}
    missing = new_tasks(predicted, index, counts, lambda s: [as_label_studio_prediction(predictions[s.id])])
    for batch in batched(missing, batch_size):
        imported += _with_retries(lambda b: client.import_tasks(project_id, b), _not_there(client, project_id), batch)
        if progress is not None:
            progress(len(batch))
    fields = {"model_version": model_version}
    if uncertainty_sampling:
        fields["sampling"] = UNCERTAINTY_SAMPLING
    client.update_project(project_id, **fields)
    return PredictionPushSummary(project_id, client.project_url(project_id), added, already, imported,
                                 model_version)

