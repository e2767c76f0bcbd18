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

from annotate.text.corpus import Sentence
from annotate.cues import Cues, find_cues
from annotate.studio.client import batched
from annotate.errors import InputError
from annotate.studio.predictions import build_prediction, source_results
from annotate.taxonomy import TECHNIQUE_PREFIX, Taxonomy
from train.models.model import Model

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


def check_model_labels(model: Model, taxonomy: Taxonomy) -> None:
    """A model whose labels are not the taxonomy's would write predictions nobody can review."""
    if list(model.labels) != list(taxonomy.label_names):
        missing = sorted(set(taxonomy.label_names) - set(model.labels))
        extra = sorted(set(model.labels) - set(taxonomy.label_names))
        detail = "; ".join(part for part in (f"not in the model: {', '.join(missing)}" if missing else "",
                                             f"not in the taxonomy: {', '.join(extra)}" if extra else "") if part)
        raise InputError(f"{model.path}: the model's labels differ from {taxonomy.path} "
                         f"({detail or 'same labels, another order'}); retrain it on data of this taxonomy")


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


def sources_version(registry, kinds=None) -> str:
    """The model_version of predictions made by the attribution rules alone (--sources-only):
    the rules' code (every module of the package, by name), the word lists loaded, the registry
    file and the kind model (its code and examples), hashed."""
    import hashlib
    import importlib
    import inspect
    import pkgutil

    import annotate.sources.attribution as attribution

    digest = hashlib.sha256(inspect.getsource(attribution).encode())
    for name in sorted(module.name for module in pkgutil.iter_modules(attribution.__path__)):
        digest.update(inspect.getsource(importlib.import_module(f"{attribution.__name__}.{name}")).encode())
    digest.update(attribution.words().sha256.encode())  # the bytes of the word-list file read
    if registry is not None and registry.path:
        digest.update(Path(registry.path).read_bytes())
    digest.update((kinds.fingerprint if kinds is not None else "kinds:rules").encode())
    return f"sources@{digest.hexdigest()[:12]}"


def preannotate(
    sentences: Iterable[Sentence], model: Model | None, taxonomy: Taxonomy, cues: Cues | None, out: Path,
    batch_size: int = 32, progress: Callable[[int], None] | None = None, attributor=None,
) -> PreannotateSummary:
    """Write one prediction a line for every sentence not yet in ``out``.

    ``model`` scores the techniques (None: sources only); ``cues`` adds the cue rules'
    spans; ``attributor`` (:class:`annotate.sources.attribution.Attributor`) adds the source spans
    with their kind and reliability.
    """
    if model is None and attributor is None:
        raise InputError("nothing to pre-annotate with: give a model, or ask for sources")
    if model is not None:
        check_model_labels(model, taxonomy)
        version = model.model_version
        thresholds = dict(zip(model.labels, model.meta.thresholds))
    else:
        version, thresholds = sources_version(attributor.registry, attributor.kinds), {}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    seen = done_ids(out, version)
    written = skipped = with_techniques = with_cues = with_sources = 0
    with out.open("a", encoding="utf-8") as handle:
        for chunk in batched(sentences, CHUNK):
            todo = [s for s in chunk if s.id not in seen]
            skipped += len(chunk) - len(todo)
            if todo:
                texts = [s.text for s in todo]
                scores = model.scores(texts, batch_size=batch_size) if model is not None else [()] * len(todo)
                found = attributor([(s.article_id, s.text, s.outlet) for s in todo]) if attributor else [[]] * len(todo)
                labels = model.labels if model is not None else []
                lines = []
                for sentence, row, attributions in zip(todo, scores, found):
                    hits = find_cues(sentence.text, cues) if cues is not None else []
                    sources = source_results(attributions, taxonomy, attributor.registry) if attributor else []
                    prediction = build_prediction(sentence.id, dict(zip(labels, map(float, row))), thresholds,
                                                  hits, taxonomy, version, sources=sources)
                    with_techniques += any(item["from_name"].startswith(TECHNIQUE_PREFIX)
                                           for item in prediction["result"])
                    with_cues += bool(hits)
                    with_sources += bool(sources)
                    seen.add(sentence.id)
                    lines.append(json.dumps(prediction, ensure_ascii=False) + "\n")
                handle.write("".join(lines))
                handle.flush()  # a crash loses at most the chunk being scored
                written += len(todo)
            if progress is not None:
                progress(len(chunk))
    return PreannotateSummary(out, written, skipped, with_techniques, with_cues, with_sources, version)


def read_predictions(path: Path) -> dict[str, dict]:
    """sentence id -> prediction line, from a `propa preannotate` output (one model version)."""
    predictions: dict[str, dict] = {}
    versions: set[str] = set()
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                predictions[str(record["sentence_id"])] = record
                versions.add(record["model_version"])
                record["result"], record["score"]  # noqa: B018 - both must be there
            except (ValueError, KeyError, TypeError):
                raise InputError(f"{path}:{number}: not a prediction line written by `propa preannotate`") from None
    if len(versions) > 1:
        raise InputError(f"{path}: predictions of several model versions ({', '.join(sorted(versions))})")
    return predictions
