"""Sentence corpus -> tasks in a Label Studio project, idempotently.

The project is created from the taxonomy, or found by title or id. Tasks are keyed on the
sentence id: the ids already in the project are read first and only the missing sentences
are imported, in batches. A push that dies midway (server killed, network down) is simply
run again: each batch is one server transaction, so every sentence ends up there once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Container, Iterable, Iterator

from annotate.corpus import Sentence, read_corpus
from annotate.errors import InputError, PropaError
from annotate.labelstudio import IMPORT_BATCH, LabelStudioClient, batched
from annotate.settings import Connection
from annotate.taxonomy import Taxonomy, guidelines_html, label_config
from annotate.tasks import sentence_to_task

DEFAULT_PROJECT = "Propa : techniques et sources"


@dataclass(frozen=True)
class PushSummary:
    project_id: int
    project_url: str
    created: bool  # the project was created by this push
    sentences: int  # distinct sentences in the corpus
    already_there: int
    imported: int


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
        return created.id, True
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
    existing = client.task_ids_by_sentence(project_id) if project.task_number else {}
    counts = {"sentences": 0, "already_there": 0, "imported": 0}
    disable = None if progress is None else not progress
    with tqdm(unit=" sentences", desc="push", total=total, disable=disable) as bar:
        for batch in batched(new_tasks(sentences, existing, counts, predictions), batch_size):
            counts["imported"] += client.import_tasks(project_id, batch)
            bar.update(counts["sentences"] - bar.n)
        bar.update(counts["sentences"] - bar.n)
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
) -> PushSummary:
    """Push a sentence corpus written by `propa ingest` to a Label Studio project."""
    # Read it whole once first: a bad line fails the push before anything is sent.
    total = sum(1 for _ in read_corpus(corpus))
    if not total:
        raise InputError(f"{corpus}: no sentences (an empty corpus)")
    client = LabelStudioClient(conn)
    project_id, created = open_project(client, project, taxonomy, update_config, settings)
    counts = push_sentences(client, project_id, read_corpus(corpus), batch_size, progress=progress, total=total)
    return PushSummary(project_id, client.project_url(project_id), created, counts["sentences"],
                       counts["already_there"], counts["imported"])


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
) -> PredictionPushSummary:
    """Put predictions (sentence id -> prediction line) into a project, without duplicates.

    Tasks that match by sentence id get the prediction in bulk imports, unless they already
    hold one of this model version; sentences without a task are imported with it. The
    project's model_version is then set, so that annotators see these predictions, and
    with ``uncertainty_sampling`` its sampling too (lowest prediction score first).
    """
    client = LabelStudioClient(conn)
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
    for batch in batched(pending, batch_size):
        added += client.import_predictions(project_id, batch)
        if progress is not None:
            progress(len(batch))
    predicted = (s for s in sentences if s.id in predictions)
    counts = {"sentences": 0, "already_there": 0}
    missing = new_tasks(predicted, index, counts, lambda s: [as_label_studio_prediction(predictions[s.id])])
    for batch in batched(missing, batch_size):
        imported += client.import_tasks(project_id, batch)
        if progress is not None:
            progress(len(batch))
    fields = {"model_version": model_version}
    if uncertainty_sampling:
        fields["sampling"] = UNCERTAINTY_SAMPLING
    client.update_project(project_id, **fields)
    return PredictionPushSummary(project_id, client.project_url(project_id), added, already, imported,
                                 model_version)

