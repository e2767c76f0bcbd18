"""Sentence corpus -> tasks in a Label Studio project, idempotently.

The project is created from the taxonomy, or found by title or id. Tasks are keyed on the
sentence id: the ids already in the project are read first and only the missing sentences
are imported, in batches. A push that dies midway (server killed, network down) is simply
run again: each batch is one server transaction, so every sentence ends up there once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

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


def open_project(
    client: LabelStudioClient, ref: str, taxonomy: Taxonomy, update_config: bool = False
) -> tuple[int, bool]:
    """The project's id, creating it from the taxonomy when no project has that title."""
    config = label_config(taxonomy)
    project = client.find_project(ref)
    if project is None:  # an unknown id has already raised: this is a new title
        created = client.create_project(ref, config, guidelines_html(taxonomy))
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
    return project.id, False


def new_tasks(
    sentences: Iterable[Sentence], existing: set[str] | dict[str, int], counts: dict[str, int],
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
) -> PushSummary:
    """Push a sentence corpus written by `propa ingest` to a Label Studio project."""
    # Read it whole once first: a bad line fails the push before anything is sent.
    total = sum(1 for _ in read_corpus(corpus))
    if not total:
        raise InputError(f"{corpus}: no sentences (an empty corpus)")
    client = LabelStudioClient(conn)
    project_id, created = open_project(client, project, taxonomy, update_config)
    counts = push_sentences(client, project_id, read_corpus(corpus), batch_size, progress=progress, total=total)
    return PushSummary(project_id, client.project_url(project_id), created, counts["sentences"],
                       counts["already_there"], counts["imported"])
