"""Label Studio export -> one row per annotated sentence: pure conversions.

A row holds each annotator's technique labels and spans (technique cues, and sources
with their kind and reliability), checked against the taxonomy and the sentence text,
and a resolved label set: a technique is kept when more than half of the annotators
chose it; exactly half is a tie, listed apart for adjudication.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from annotate.errors import InputError, quote
from annotate.taxonomy import CUE_LABELS, SOURCE_KIND, SOURCE_LABELS, SOURCE_RELIABILITY, Taxonomy


@dataclass
class PullCounts:
    tasks: int = 0  # tasks exported
    rows: int = 0  # sentences with at least one usable annotation
    annotations: int = 0  # annotations used
    cancelled: int = 0  # skipped/cancelled annotations left out
    superseded: int = 0  # older annotations of an annotator who annotated the task again
    without_sentence_id: int = 0  # tasks not created by `propa push`, left out
    ties: int = 0  # rows with at least one tied label
    label_counts: Counter = field(default_factory=Counter)


def utf16_to_index(text: str, offset: int) -> int:
    """A UTF-16 code-unit offset (what a browser counts) -> a Python string index."""
    units = 0
    for index, char in enumerate(text):
        if units >= offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def _checked_offsets(value: dict, text: str, where: str) -> tuple[int, int]:
    try:
        start, end = int(value["start"]), int(value["end"])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{where}: a span without valid start/end offsets") from None
    expected = value.get("text")
    if 0 <= start < end <= len(text) and (expected is None or text[start:end] == expected):
        return start, end
    # Browsers count UTF-16 code units: different from Python's only past an emoji or
    # another character outside the Basic Multilingual Plane.
    start16, end16 = utf16_to_index(text, start), utf16_to_index(text, end)
    if start16 < end16 and expected is not None and text[start16:end16] == expected:
        return start16, end16
    raise InputError(
        f"{where}: span {start}-{end} ({quote(expected)}) does not match the sentence text {quote(text[start:end])}"
    )


def parse_result(result: list[dict], text: str, taxonomy: Taxonomy, where: str) -> tuple[list[str], list[dict]]:
    """One annotation's result -> (technique ids in taxonomy order, spans sorted by offset)."""
    labels: set[str] = set()
    spans: dict[str, dict] = {}
    region_choices: list[tuple[str, str, str, dict]] = []
    known = taxonomy.technique_by_id
    for number, item in enumerate(result):
        name = item.get("from_name")
        value = item.get("value") or {}
        place = f"{where}, result {number} ({name})"
        if name in taxonomy.category_by_control:
            for choice in value.get("choices", []):
                if choice not in known:
                    raise InputError(f"{place}: label '{choice}' is not in {taxonomy.path}")
                labels.add(choice)
        elif name in (CUE_LABELS, SOURCE_LABELS):
            allowed = known if name == CUE_LABELS else {taxonomy.sources.label.id}
            span_labels = value.get("labels") or []
            for label in span_labels:
                if label not in allowed:
                    raise InputError(f"{place}: span label '{label}' is not in {taxonomy.path}")
            start, end = _checked_offsets(value, text, place)
            for label in span_labels:
                region = str(item.get("id", f"#{number}"))
                key = region if len(span_labels) == 1 else f"{region}/{label}"
                spans[key] = {"start": start, "end": end, "text": text[start:end], "label": label,
                              "kind": "", "reliability": ""}
        elif name in (SOURCE_KIND, SOURCE_RELIABILITY):
            region_choices.append((name, str(item.get("id", "")), place, value))
        else:
            raise InputError(f"{place}: unknown control '{name}'; is the project's labeling config "
                             f"generated from {taxonomy.path}?")
    for name, region, place, value in region_choices:
        field_name, allowed = (("kind", taxonomy.kind_ids) if name == SOURCE_KIND
                               else ("reliability", taxonomy.reliability_ids))
        choices = value.get("choices") or []
        for choice in choices:
            if choice not in allowed:
                raise InputError(f"{place}: {field_name} '{choice}' is not in {taxonomy.path}")
        span = spans.get(region)
        if span is None or span["label"] != taxonomy.sources.label.id:
            raise InputError(f"{place}: a source {field_name} attached to no source span (region {quote(region)})")
        span[field_name] = choices[0] if choices else ""
    order = {name: i for i, name in enumerate(taxonomy.label_names)}
    return (sorted(labels, key=order.__getitem__),
            sorted(spans.values(), key=lambda s: (s["start"], s["end"], s["label"])))


def resolve_labels(per_annotator: list[list[str]], taxonomy: Taxonomy) -> tuple[list[str], list[str]]:
    """Majority over annotators: (labels chosen by more than half, labels chosen by exactly half)."""
    votes = Counter(label for labels in per_annotator for label in set(labels))
    n = len(per_annotator)
    kept = [name for name in taxonomy.label_names if votes[name] * 2 > n]
    ties = [name for name in taxonomy.label_names if n > 1 and votes[name] * 2 == n]
    return kept, ties


def started_from(annotation: dict, text: str, taxonomy: Taxonomy, where: str) -> dict | None:
    """The pre-annotation an annotation started from (its ``parent_prediction``, given whole
    under ``prediction`` by the snapshot export and by
    :meth:`annotate.studio.client.LabelStudioClient.tasks_updated_since`):
    ``{id, model_version, score, labels}``, or None when it started blank or the prediction
    cannot be read against the taxonomy (it is then only not counted)."""
    # parent_prediction is what the labeling screen sets when an annotator starts from a
    # pre-annotation (checked in Chromium). The snapshot export also fills "prediction" for an
    # annotation that only saw one, and the tasks API never does: both pulls go by the parent.
    parent = annotation.get("parent_prediction")
    prediction = annotation.get("prediction")
    if parent is None or not isinstance(prediction, dict) or prediction.get("id") != parent:
        return None
    try:
        labels, _ = parse_result(prediction.get("result") or [], text, taxonomy, f"{where}, its prediction")
    except InputError:
        return None
    score = prediction.get("score")
    return {"id": int(prediction["id"]), "model_version": str(prediction.get("model_version") or ""),
            "score": float(score) if score is not None else None, "labels": labels}


def task_to_row(task: dict, taxonomy: Taxonomy, annotators: dict[int, str], counts: PullCounts) -> dict | None:
    """One exported task -> one dataset row, or None when nothing usable is annotated."""
    counts.tasks += 1
    data = task.get("data") or {}
    if "sentence_id" not in data:
        counts.without_sentence_id += 1
        return None
    text = str(data.get("text", ""))
    where = f"task {task.get('id')} (sentence {data['sentence_id']})"
    latest: dict[str, dict] = {}
    for annotation in task.get("annotations") or []:
        if annotation.get("was_cancelled"):
            counts.cancelled += 1
            continue
        user = annotation.get("completed_by")
        user_id = user.get("id") if isinstance(user, dict) else user
        annotator = annotators.get(user_id) if user_id is not None else None
        if annotator is None:
            annotator = user.get("email") if isinstance(user, dict) else f"user-{user_id}"
        place = f"{where}, annotation {annotation.get('id')} by {annotator}"
        labels, spans = parse_result(annotation.get("result") or [], text, taxonomy, place)
        entry = {"annotation_id": int(annotation.get("id") or 0), "annotator": annotator, "labels": labels,
                 "spans": spans, "lead_time": float(annotation.get("lead_time") or 0.0),
                 "prediction": started_from(annotation, text, taxonomy, place),
                 "updated_at": str(annotation.get("updated_at") or "")}
        previous = latest.get(annotator)
        if previous is not None:
            counts.superseded += 1
            if (previous["updated_at"], previous["annotation_id"]) > (entry["updated_at"], entry["annotation_id"]):
                continue
        latest[annotator] = entry
    if not latest:
        return None
    entries = sorted(latest.values(), key=lambda e: e["annotator"])
    for entry in entries:
        del entry["updated_at"]
    labels, ties = resolve_labels([e["labels"] for e in entries], taxonomy)
    counts.rows += 1
    counts.annotations += len(entries)
    counts.ties += bool(ties)
    counts.label_counts.update(labels)
    return {
        "id": str(data["sentence_id"]),
        "task_id": int(task.get("id") or 0),
        "article_id": str(data.get("article_id", "")),
        "paragraph_index": int(data.get("paragraph_index") or 0),
        "start": int(data.get("start") or 0),
        "end": int(data.get("end") or 0),
        "text": text,
        "paragraph": str(data.get("paragraph", "")),
        "title": str(data.get("title", "")),
        "outlet": str(data.get("outlet", "")),
        "date": str(data.get("date", "")),
        "labels": labels,
        "ties": ties,
        "annotations": entries,
    }
