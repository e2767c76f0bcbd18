"""Label Studio annotations -> a JSONL of rows and a `datasets` DatasetDict on disk."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from annotate.dataset import write_dataset
from annotate.errors import PropaError
from annotate.export import PullCounts, task_to_row
from annotate.files import atomic_write
from annotate.labelstudio import LabelStudioClient
from annotate.settings import Connection
from annotate.taxonomy import Taxonomy

ROWS_FILE = "annotations.jsonl"
DATASET_DIR = "dataset"
SPLIT = "all"  # one split; `propa data split` (the training issue) makes train/dev/test


@dataclass(frozen=True)
class PullSummary:
    project_id: int
    out: Path
    counts: PullCounts


def rows_from_export(
    tasks: list[dict], taxonomy: Taxonomy, annotators: dict[int, str]
) -> tuple[list[dict], PullCounts]:
    counts = PullCounts()
    rows = [row for task in tasks if (row := task_to_row(task, taxonomy, annotators, counts)) is not None]
    rows.sort(key=lambda r: (r["article_id"], r["start"], r["id"]))
    return rows, counts


def pull(conn: Connection, taxonomy: Taxonomy, project: str, out: Path) -> PullSummary:
    """Export a project's annotations to ``out/annotations.jsonl`` and ``out/dataset``.

    An annotation that does not fit the taxonomy stops the pull with an error naming the
    task, and nothing is written.
    """
    client = LabelStudioClient(conn)
    found = client.find_project(project)
    if found is None:
        raise PropaError(f"no project titled '{project}' on {conn.url}; pass --project with its title or id")
    tasks = client.export_tasks(found.id)
    rows, counts = rows_from_export(tasks, taxonomy, client.user_emails())
    # Tasks whose only annotations were skipped are not exported: take the project's count.
    counts.cancelled = max(counts.cancelled, int(client.get_project(found.id).skipped_annotations_number or 0))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_dataset({SPLIT: rows}, taxonomy, out / DATASET_DIR)
    with atomic_write(out / ROWS_FILE) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return PullSummary(found.id, out, counts)
