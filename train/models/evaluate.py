"""A model folder + data -> metrics and prediction files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from annotate.errors import InputError
from annotate.files import atomic_write
from annotate.taxonomy import Taxonomy
from train.models.metrics import multi_hot, report
from train.models.model import Model

SCORE_DIGITS = 4


def _split(dataset_dict, split: str, path: Path):
    if split not in dataset_dict:
        raise InputError(f"{path}: no '{split}' split (found: {', '.join(dataset_dict)})")
    dataset = dataset_dict[split]
    if len(dataset) == 0:
        raise InputError(f"{path}: the '{split}' split is empty")
    return dataset


def evaluate_dataset(model: Model, data: Path, split: str, taxonomy: Taxonomy, batch_size: int | None = None) -> dict:
    """Per-label and averaged metrics of ``model`` (at its saved thresholds) on one split."""
    from annotate.dataset import label_strings, load_dataset_dict

    dataset = _split(load_dataset_dict(Path(data), taxonomy), split, Path(data))
    gold = label_strings(dataset)
    unknown = sorted({name for labels in gold for name in labels} - set(model.labels))
    if unknown:
        raise InputError(f"{data}: labels the model {model.path} does not know: {', '.join(unknown)}")
    scores = model.scores(list(dataset["text"]), batch_size=batch_size, progress=True)
    result = report(multi_hot(gold, model.labels), model.decide(scores), model.labels)
    return {"model": str(model.path), "model_version": model.model_version, "data": str(data), "split": split,
            **result}


def evaluate_semeval(model: Model, folder: Path, taxonomy: Taxonomy, batch_size: int | None = None) -> dict:
    """Paragraph-level predictions on a SemEval folder, scored like the official scorer."""
    from train.data.semeval import LABELS_FILE, read_labels, read_techniques, score_semeval

    folder = Path(folder)
    gold = read_labels(folder / LABELS_FILE)
    predicted = predict_semeval(model, folder, batch_size)
    techniques = read_techniques(folder, taxonomy)
    # The official score is over the 23 techniques: the project's own labels are not SemEval's.
    predicted = {key: [name for name in names if name in techniques] for key, names in predicted.items()}
    gold_keys = set(gold)
    unlabelled = [key for key in predicted if key not in gold_keys]
    if unlabelled:
        raise InputError(f"{folder / LABELS_FILE}: no gold row for article {unlabelled[0][0]} line "
                         f"{unlabelled[0][1]} ({len(unlabelled)} lines in all)")
    result = score_semeval(gold, predicted, techniques, gold_origin=str(folder / LABELS_FILE),
                           predicted_origin=str(model.path))
    return {"model": str(model.path), "model_version": model.model_version, "semeval": str(folder), **result}


def predict_semeval(model: Model, folder: Path, batch_size: int | None = None) -> dict[tuple[str, int], list[str]]:
    """(article id, line) -> predicted labels, for every non-empty line of a SemEval folder."""
    from train.data.semeval import semeval_lines

    lines = semeval_lines(Path(folder))
    scores = model.scores([text for _, _, text in lines], batch_size=batch_size, progress=True)
    decided = model.decide(scores)
    return {(article, line): [model.labels[j] for j in np.flatnonzero(row)]
            for (article, line, _), row in zip(lines, decided)}


@dataclass(frozen=True)
class TextRecord:
    id: str
    article_id: str
    text: str


def read_records(path: Path, split: str | None = None, encoding: str | None = None) -> Iterator[TextRecord]:
    """The texts to predict on: a dataset folder (one split), a sentence corpus (`propa ingest`)
    or articles in any format `propa ingest` reads (split into sentences here)."""
    path = Path(path)
    if (path / "dataset_dict.json").is_file():
        from annotate.dataset import load_dataset_dict

        dataset = _split(load_dataset_dict(path), split or "test", path)
        for row_id, article, text in zip(dataset["id"], dataset["article_id"], dataset["text"]):
            yield TextRecord(row_id, article, text)
        return
    if split is not None:
        raise InputError(f"{path}: --split applies to a dataset folder only")
    from annotate.text.corpus import read_sentences

    for sentence in read_sentences(path, encoding):
        yield TextRecord(sentence.id, sentence.article_id, sentence.text)


def labelled(model: Model, records: list[TextRecord], batch_size: int | None = None) -> list[dict]:
    """One record per text: labels above their thresholds, every label's score, the model_version
    (`propa predict`'s lines, on either engine)."""
    scores = model.scores([r.text for r in records], batch_size=batch_size)
    decided = model.decide(scores)
    return [{"id": record.id, "article_id": record.article_id, "text": record.text,
             "labels": [model.labels[j] for j in np.flatnonzero(chosen)],
             "scores": {name: round(float(s), SCORE_DIGITS) for name, s in zip(model.labels, row)},
             "model_version": model.model_version} for record, row, chosen in zip(records, scores, decided)]


def predict_file(model: Model, records: Iterator[TextRecord], out: Path, batch_size: int | None = None,
                 chunk: int = 2048, progress=None) -> int:
    """Write one JSON line per text (:func:`labelled`). Streams in chunks; the file appears only
    when complete."""
    count = 0
    with atomic_write(Path(out)) as handle:
        buffer: list[TextRecord] = []

        def flush() -> None:
            nonlocal count
            for line in labelled(model, buffer, batch_size):
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += len(buffer)
            if progress is not None:
                progress(len(buffer))
            buffer.clear()

        for record in records:
            buffer.append(record)
            if len(buffer) >= chunk:
                flush()
        if buffer:
            flush()
    return count


def format_report(result: dict) -> str:
    """The metrics as a fixed-width table (labels with support or predictions), then the averages."""
    lines = [f"{'label':36} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}"]
    for name, m in result["per_label"].items():
        if m["support"] or m.get("predicted"):
            lines.append(f"{name:36} {m['precision']:9.3f} {m['recall']:7.3f} {m['f1']:6.3f} {m['support']:8d}")
    lines.append("")
    lines.append(f"micro-F1 {result['micro_f1']:.4f}  (precision {result['micro_precision']:.4f}, "
                 f"recall {result['micro_recall']:.4f})  macro-F1 {result['macro_f1']:.4f}  "
                 f"rows {result['rows']}")
    return "\n".join(lines)
