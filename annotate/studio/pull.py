"""Label Studio annotations -> a JSONL of rows and a `datasets` DatasetDict on disk.

The first pull into a folder exports the whole project (Label Studio's snapshot export).
It leaves ``pull.json`` beside the rows: the project, the server and the server's time when
the pull began. A later pull into the same folder asks only for the tasks updated since
then (less OVERLAP, for transactions in flight while the last pull ran): an annotation saved, changed
or deleted moves its task's updated_at, so those tasks' rows are rebuilt, and a row whose
task has no usable annotation left is dropped. ``full=True`` (``--full``) exports
everything again. A deleted task is only seen by a full pull.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from annotate.dataset import write_dataset
from annotate.errors import PropaError
from annotate.studio.export import PullCounts, task_to_row
from annotate.files import atomic_write
from annotate.studio.client import LabelStudioClient
from annotate.studio.pulled import DATASET_DIR, ROWS_FILE, SPLIT, STATE_FILE, read_pulled_rows, read_state
from annotate.studio.settings import Connection
from annotate.taxonomy import Taxonomy

OVERLAP = timedelta(seconds=10)


@dataclass(frozen=True)
class PullSummary:
    project_id: int
    out: Path
    counts: PullCounts
    changed: int | None = None  # an incremental pull: tasks updated since the last one
    since: str = ""
    removed: int = 0  # rows dropped: their task has no usable annotation left


def recount(rows: list[dict]) -> PullCounts:
    """The counts a set of rows stands for (after merging an incremental pull)."""
    counts = PullCounts()
    for row in rows:
        counts.rows += 1
        counts.annotations += len(row["annotations"])
        counts.ties += bool(row.get("ties"))
        counts.label_counts.update(row["labels"])
    return counts


def rows_from_export(
    tasks: list[dict], taxonomy: Taxonomy, annotators: dict[int, str]
) -> tuple[list[dict], PullCounts]:
    counts = PullCounts()
    rows = [row for task in tasks if (row := task_to_row(task, taxonomy, annotators, counts)) is not None]
    rows.sort(key=lambda r: (r["article_id"], r["start"], r["id"]))
    return rows, counts


def pull(conn: Connection, taxonomy: Taxonomy, project: str, out: Path, full: bool = False,
         overlap: timedelta = OVERLAP) -> PullSummary:
    """Export a project's annotations to ``out/annotations.jsonl`` and ``out/dataset``;
    into a folder a pull of the same project filled, only what changed since (see above).

    An annotation that does not fit the taxonomy stops the pull with an error naming the
    task, and nothing is written.
    """
    client = LabelStudioClient(conn)
    found = client.find_project(project)
    if found is None:
        raise PropaError(f"no project titled '{project}' on {conn.url}; pass --project with its title or id")
    out = Path(out)
    started = client.server_time()
    state = None if full else read_state(out)
    fits = (state is not None and state.get("project_id") == found.id and state.get("url") == conn.url
            and state.get("labels") == list(taxonomy.label_names) and (out / ROWS_FILE).is_file())
    annotators = client.user_emails()
    changed = None
    removed = 0
    if fits:
        since = datetime.fromisoformat(state["pulled_at"]) - overlap
        tasks = client.tasks_updated_since(found.id, since)
        by_task = {row["task_id"]: row for row in read_pulled_rows(out)}
        fresh = PullCounts()
        for task in tasks:
            row = task_to_row(task, taxonomy, annotators, fresh)
            if row is not None:
                by_task[row["task_id"]] = row
            elif by_task.pop(int(task.get("id") or 0), None) is not None:
                removed += 1
        rows = sorted(by_task.values(), key=lambda r: (r["article_id"], r["start"], r["id"]))
        counts = recount(rows)
        counts.tasks, counts.superseded, counts.without_sentence_id = len(tasks), fresh.superseded, \
            fresh.without_sentence_id
        changed = len(tasks)
    else:
        rows, counts = rows_from_export(client.export_tasks(found.id), taxonomy, annotators)
    # Tasks whose only annotations were skipped are not exported: take the project's count.
    counts.cancelled = max(counts.cancelled, int(client.get_project(found.id).skipped_annotations_number or 0))
    out.mkdir(parents=True, exist_ok=True)
    write_dataset({SPLIT: rows}, taxonomy, out / DATASET_DIR)
    with atomic_write(out / ROWS_FILE) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    with atomic_write(out / STATE_FILE) as handle:  # last: a pull cut before this is redone from the older mark
        handle.write(json.dumps({"project_id": found.id, "url": conn.url, "pulled_at": started.isoformat(),
                                 "labels": list(taxonomy.label_names)}, ensure_ascii=False) + "\n")
    return PullSummary(found.id, out, counts, changed,
                       (datetime.fromisoformat(state["pulled_at"]).isoformat() if fits else ""), removed)
