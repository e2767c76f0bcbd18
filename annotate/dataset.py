"""The one dataset schema of the project: every source of training data is written in it.

`propa pull` (Label Studio annotations) and `propa import-semeval` (a SemEval-2023 Task 3
folder) both write a `datasets.DatasetDict` with these columns; `propa data split` adds
train/dev/test splits; training and evaluation read it. A row is one unit of text (a
sentence, or a paragraph for SemEval's paragraph level):

- ``id``: "<article id>:<start>-<end>", offsets into the article ("title, blank line, text");
- ``task_id``: the Label Studio task, or -1 when the row did not come from Label Studio;
- ``labels``: the resolved technique ids (``List(ClassLabel)`` named from the taxonomy);
- ``ties``: labels chosen by exactly half of the annotators (for adjudication);
- ``annotations``: each annotator's labels and spans (technique cues, and sources with
  kind and reliability; offsets into ``text``);
- ``decisions`` (optional): how each label was decided (`propa adjudicate`);
- ``language`` (optional): the language code of the text as its source gave it ("fr",
  "en", ...), "" when unknown; `propa data split --eval-language` draws dev and test from
  one language.

A row may leave the optional columns out; a dataset saved before they existed gets them,
filled with their defaults, when loaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from annotate.errors import InputError
from annotate.taxonomy import Taxonomy

NO_TASK = -1


def optional_features() -> dict:
    """The columns a row may leave out (see OPTIONAL_COLUMNS for their defaults)."""
    from datasets import List, Value

    return {
        # How each label was decided (`propa adjudicate`); empty for rows nobody adjudicated.
        "decisions": List({"label": Value("string"), "decision": Value("string"), "how": Value("string")}),
        # The language of the text ("fr", "en", ...); "" when the source did not say.
        "language": Value("string"),
    }


def dataset_features(taxonomy: Taxonomy):
    from datasets import ClassLabel, Features, List, Value

    techniques = ClassLabel(names=taxonomy.label_names)
    span = {"start": Value("int32"), "end": Value("int32"), "text": Value("string"), "label": Value("string"),
            "kind": Value("string"), "reliability": Value("string")}
    annotation = {"annotation_id": Value("int64"), "annotator": Value("string"), "labels": List(Value("string")),
                  "spans": List(span), "lead_time": Value("float32")}
    return Features({
        "id": Value("string"), "task_id": Value("int64"), "article_id": Value("string"),
        "paragraph_index": Value("int32"), "start": Value("int32"), "end": Value("int32"),
        "text": Value("string"), "paragraph": Value("string"), "title": Value("string"),
        "outlet": Value("string"), "date": Value("string"),
        "labels": List(techniques), "ties": List(techniques), "annotations": List(annotation),
        **optional_features(),
    })


# A row may leave these out: each is then filled with its factory's value ([] and "").
OPTIONAL_COLUMNS: dict[str, Callable[[], object]] = {"decisions": list, "language": str}


def rows_to_dataset(rows: list[dict], taxonomy: Taxonomy):
    from datasets import Dataset

    features = dataset_features(taxonomy)
    # Column-wise, so that an empty list of rows still gives an (empty) dataset.
    return Dataset.from_dict({name: [_value(row, name) for row in rows] for name in features}, features=features)


def _value(row: dict, name: str):
    """A row's value for a column; an optional column's default when the row leaves it out."""
    if name in OPTIONAL_COLUMNS and name not in row:
        return OPTIONAL_COLUMNS[name]()
    return row[name]


def with_optional_columns(dataset):
    """A Dataset saved before an optional column existed, with that column added at its default."""
    features = optional_features()
    for name, default in OPTIONAL_COLUMNS.items():
        if name not in dataset.column_names:
            dataset = dataset.add_column(name, [default() for _ in range(len(dataset))], feature=features[name])
    return dataset


def save_dataset_dict(dataset_dict, path: Path) -> None:
    """Save a DatasetDict, replacing ``path`` only once the new one is complete."""
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()  # the commands print their own summary line
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    # One shard per split: datasets writes no shard at all for an empty split when left to
    # choose, and then cannot load it back.
    dataset_dict.save_to_disk(str(tmp), num_shards={name: 1 for name in dataset_dict})
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)


def write_dataset(splits: dict[str, list[dict]], taxonomy: Taxonomy, path: Path) -> None:
    """Rows per split -> a DatasetDict saved at ``path`` (atomically)."""
    from datasets import DatasetDict

    save_dataset_dict(DatasetDict({name: rows_to_dataset(rows, taxonomy) for name, rows in splits.items()}), path)


def label_names(dataset) -> list[str]:
    return list(dataset.features["labels"].feature.names)


def load_dataset_dict(path: Path, taxonomy: Taxonomy | None = None):
    """Load a DatasetDict written by this project; check its labels against the taxonomy.

    A label the taxonomy does not know is an error naming the dataset and the label:
    training on it would give a model whose outputs nobody can annotate. Optional columns
    the dataset was saved without are added at their defaults, so old datasets load with
    the whole schema.
    """
    from datasets import DatasetDict, load_from_disk
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such dataset (write one with `propa pull` or `propa import-semeval`)")
    if not (path / "dataset_dict.json").is_file():
        raise InputError(f"{path}: not a dataset folder written by `propa pull`, `propa import-semeval` "
                         "or `propa data split` (no dataset_dict.json)")
    try:
        loaded = load_from_disk(str(path))
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot read the dataset ({err})") from None
    if not isinstance(loaded, DatasetDict):
        raise InputError(f"{path}: expected a DatasetDict")
    for split, dataset in loaded.items():
        if "labels" not in dataset.features or "text" not in dataset.features:
            raise InputError(f"{path}: split '{split}' has no 'text'/'labels' columns")
        if taxonomy is not None:
            unknown = [name for name in label_names(dataset) if name not in taxonomy.technique_by_id]
            if unknown:
                raise InputError(f"{path}: split '{split}' has labels not in {taxonomy.path}: "
                                 f"{', '.join(unknown)}")
    return DatasetDict({split: with_optional_columns(dataset) for split, dataset in loaded.items()})


def label_strings(dataset) -> list[list[str]]:
    """The ``labels`` column as technique ids (the ClassLabel names), row by row."""
    names = label_names(dataset)
    return [[names[i] for i in row] for row in dataset["labels"]]


def read_labelled_jsonl(path: Path, taxonomy: Taxonomy) -> list[dict]:
    """Labelled sentences from elsewhere -> rows of the dataset schema.

    One JSON object a line with ``article_id``, ``text`` and ``labels`` (technique ids of
    the taxonomy); optional ``id``, ``start``/``end`` (offsets into the article). Without
    offsets, an article's sentences are taken to follow each other, one space apart, in
    file order. A label the taxonomy does not know is an error naming the line.
    """
    from annotate.files import jsonl_records
    from annotate.text.corpus import sentence_id

    path = Path(path)
    rows: list[dict] = []
    seen: set[str] = set()
    next_start: dict[str, int] = {}
    order = {name: i for i, name in enumerate(taxonomy.label_names)}
    for where, record in jsonl_records(path):
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object")
        for key in ("article_id", "text", "labels"):
            if key not in record:
                raise InputError(f"{where}: missing field '{key}'")
        article, text, labels = str(record["article_id"]).strip(), record["text"], record["labels"]
        if not article or not isinstance(text, str) or not text.strip():
            raise InputError(f"{where}: 'article_id' and 'text' must be non-empty")
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            raise InputError(f"{where}: 'labels' must be a list of technique ids")
        for label in labels:
            if label not in order:
                raise InputError(f"{where}: label '{label}' is not in {taxonomy.path}")
        start = int(record.get("start", next_start.get(article, 0)))
        end = int(record.get("end", start + len(text)))
        next_start[article] = end + 1
        row_id = str(record.get("id") or sentence_id(article, start, end))
        if row_id in seen:
            raise InputError(f"{where}: duplicate id '{row_id}'")
        seen.add(row_id)
        rows.append({"id": row_id, "task_id": NO_TASK, "article_id": article, "paragraph_index": 0,
                     "start": start, "end": end, "text": text, "paragraph": text, "title": "",
                     "outlet": str(record.get("outlet", "")), "date": str(record.get("date", "")),
                     "labels": sorted(set(labels), key=order.__getitem__), "ties": [], "annotations": []})
    return rows
