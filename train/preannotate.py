"""Batch pre-annotation: articles or a sentence corpus -> Label Studio predictions (JSONL).

Streams: sentences -> chunks -> model scores + cue rules -> one prediction a line, so memory
stays flat whatever the corpus size. The output is appended chunk by chunk and is
resumable: a rerun skips the sentence ids already written (by the same model version),
and a last line cut short by a crash is dropped first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from annotate.cues import Cues
from annotate.errors import InputError
from annotate.studio.client import batched
from annotate.taxonomy import CUE_LABELS, SOURCE_LABELS, TECHNIQUE_PREFIX, Taxonomy
from annotate.text.corpus import Sentence
from train.models.model import Model
from train.predictor import Predictor

CHUNK = 1024


@dataclass(frozen=True)
class PreannotateSummary:
    out: Path
    written: int
    skipped: int  # already in the output from an earlier run
    with_techniques: int
    with_cues: int
    with_sources: int = 0
    model_version: str = ""


def done_ids(out: Path, model_version: str) -> set[str]:
    """Sentence ids already in ``out``, read line by line; a torn last line (a crash
    mid-write) is cut off."""
    if not out.exists():
        return set()
    ids: set[str] = set()
    complete = 0  # bytes up to the end of the last complete line
    with out.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                break
            complete += len(raw)
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
                sentence_id, version = record["sentence_id"], record["model_version"]
            except (ValueError, KeyError, TypeError):
                raise InputError(f"{out}:{number}: not a prediction line written by `propa preannotate`") from None
            if version != model_version:
                raise InputError(f"{out}: holds predictions of model {version}, not {model_version}; "
                                 "write to another --out")
            ids.add(sentence_id)
    if complete < out.stat().st_size:
        with out.open("r+b") as handle:
            handle.truncate(complete)
    return ids


def preannotate(
    sentences: Iterable[Sentence], model: Model | None, taxonomy: Taxonomy, cues: Cues | None, out: Path,
    batch_size: int | None = None, progress: Callable[[int], None] | None = None, attributor=None,
) -> PreannotateSummary:
    """Write one prediction a line for every sentence not yet in ``out``.

    ``model`` scores the techniques (None: sources only); ``cues`` adds the cue rules'
    spans; ``attributor`` (:class:`annotate.sources.attribution.Attributor`) adds the source spans
    with their kind and reliability. The predictions are :class:`train.predictor.Predictor`'s, the
    backend's too; an ``out`` written by another version (another model, or other attribution
    rules) is refused.
    """
    predictor = Predictor(taxonomy, model, cues, attributor)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    seen = done_ids(out, predictor.version)
    written = skipped = with_techniques = with_cues = with_sources = 0
    with out.open("a", encoding="utf-8") as handle:
        for chunk in batched(sentences, CHUNK):
            todo = [s for s in chunk if s.id not in seen]
            skipped += len(chunk) - len(todo)
            if todo:
                lines = []
                for prediction in predictor.predict(todo, batch_size=batch_size):
                    controls = {item["from_name"] for item in prediction["result"]}
                    with_techniques += any(name.startswith(TECHNIQUE_PREFIX) for name in controls)
                    with_cues += CUE_LABELS in controls
                    with_sources += SOURCE_LABELS in controls
                    seen.add(prediction["sentence_id"])
                    lines.append(json.dumps(prediction, ensure_ascii=False) + "\n")
                handle.write("".join(lines))
                handle.flush()  # a crash loses at most the chunk being scored
                written += len(todo)
            if progress is not None:
                progress(len(chunk))
    return PreannotateSummary(out, written, skipped, with_techniques, with_cues, with_sources, predictor.version)


def read_predictions(path: Path) -> dict[str, dict]:
    """sentence id -> prediction line, from a `propa preannotate` output (one model version)."""
    from annotate.files import jsonl_records

    predictions: dict[str, dict] = {}
    versions: set[str] = set()
    for where, record in jsonl_records(Path(path)):
        try:
            predictions[str(record["sentence_id"])] = record
            versions.add(record["model_version"])
            record["result"], record["score"]  # noqa: B018 - both must be there
        except (KeyError, TypeError):
            raise InputError(f"{where}: not a prediction line written by `propa preannotate`") from None
    if len(versions) > 1:
        raise InputError(f"{path}: predictions of several model versions ({', '.join(sorted(versions))})")
    return predictions
