"""The folder `propa pull` writes, as every later step reads it: its file names, and its rows.

- ``annotations.jsonl`` (ROWS_FILE): one row per annotated sentence (annotate.studio.export),
  read by agreement, adjudication, uptake, source suggestions and the kind model;
- ``dataset/`` (DATASET_DIR): the same rows as a `datasets.DatasetDict` with one split (SPLIT);
- ``pull.json`` (STATE_FILE): the project, the server and the server's time when the pull began,
  from which the next pull asks only for what changed.
"""

from __future__ import annotations

import json
from pathlib import Path

from annotate.errors import InputError

ROWS_FILE = "annotations.jsonl"
DATASET_DIR = "dataset"
STATE_FILE = "pull.json"
SPLIT = "all"  # one split; `propa data split` makes train/dev/test


def rows_file(path, expected: str = "expected what `propa pull` wrote") -> Path:
    """The rows file of a pull: ``path`` itself, or its annotations.jsonl when ``path`` is the pull's
    folder; a missing one is an error naming it and saying what was ``expected``."""
    path = Path(path)
    if path.is_dir():
        path = path / ROWS_FILE
    if not path.is_file():
        raise InputError(f"{path}: no such file ({expected})")
    return path


def read_state(out: Path) -> dict | None:
    """The state the last pull into ``out`` left, or None (no pull yet, or a file that cannot be read)."""
    try:
        state = json.loads((Path(out) / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return state if isinstance(state, dict) else None


def read_pulled_rows(path) -> list[dict]:
    """Rows written by `propa pull`: its output folder (annotations.jsonl) or that file."""
    from annotate.files import jsonl_records

    path = Path(path)
    if path.is_dir():
        path = path / ROWS_FILE
    rows = []
    for where, record in jsonl_records(path):
        if not isinstance(record, dict) or "id" not in record or not isinstance(record.get("annotations"), list):
            raise InputError(f"{where}: not a row of `propa pull` (expected id and annotations)")
        rows.append(record)
    return rows
