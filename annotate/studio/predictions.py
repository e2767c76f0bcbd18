"""Model scores + cue rule hits -> a Label Studio prediction: pure conversions.

A prediction carries its provenance (``model_version``), a ``score`` Label Studio shows
and sorts by, and a ``result`` in the project's labeling config: the chosen techniques as
choices of their category's control, and the cue spans found by rules on the ``cue`` labels.
Every result item says where it came from (``propa_origin``): "model", "rule:<rule name>", and
for a control whose labels came from both, each label's own ("Doubt=model;
speculative_link=rule:speculative_link/1"). A label is the model's when its score alone
crosses the threshold, a rule's when only the rule's hit made it cross.

The ``score`` is the model's probability that the whole predicted answer is right: the
product, over the techniques it decides on, of the probability of that decision (the score
for a technique it picks, one minus the score for one it leaves out), rules included.
Annotators read it as "how likely the model got all of this sentence right"; uncertainty
sampling shows the lowest first.

Rules and model combine: a rule hit adds its span and raises its technique's score to
``1 - (1 - score) * (1 - RULE_WEIGHT)`` before the threshold is applied.
"""

from __future__ import annotations

from typing import Callable, Iterable

from annotate.cues import CueHit
from annotate.taxonomy import CUE_LABELS, SENTENCE, Taxonomy

# Not "origin": Label Studio's editor owns that key on annotations ("prediction",
# "prediction-changed", "manual") and refuses to open a task whose annotation carries any
# other value, which an annotation copied from one of our predictions through the API would.
ORIGIN = "propa_origin"
RULE_WEIGHT = 0.8  # a hit alone takes a technique scored 0 by the model to 0.8


def combine(scores: dict[str, float], hits: list[CueHit]) -> dict[str, float]:
    """Scores raised for the techniques a rule found."""
    combined = dict(scores)
    for technique in {hit.technique for hit in hits}:
        combined[technique] = 1 - (1 - combined.get(technique, 0.0)) * (1 - RULE_WEIGHT)
    return combined


def confidence(scores: dict[str, float], thresholds: dict[str, float]) -> float:
    """The probability that every decision is right: the product of each decided label's
    probability (its score when picked, one minus it when left out), from 0 to 1.

    Labels never predicted (threshold above 1) take no decision and count for nothing.
    Label Studio's uncertainty sampling shows the lowest-scored tasks first: the sentences
    where the model most likely got something wrong, the most useful to annotate.
    """
    probability = 1.0
    for name, threshold in thresholds.items():
        if threshold > 1 or name not in scores:
            continue
        score = min(max(float(scores[name]), 0.0), 1.0)
        probability *= score if score >= threshold else 1.0 - score
    return round(probability, 4)


def choices_result(labels: Iterable[str], taxonomy: Taxonomy,
                   origin: Callable[[list[str]], str] | None = None) -> list[dict]:
    """Technique ids -> Label Studio choices results, one per category control that has any."""
    chosen = set(labels)
    result: list[dict] = []
    for category in taxonomy.categories:
        picked = [t.id for t in category.techniques if t.id in chosen]
        if picked:
            item = {"id": category.control, "from_name": category.control, "to_name": SENTENCE,
                    "type": "choices", "value": {"choices": picked}}
            if origin is not None:
                item[ORIGIN] = origin(picked)
            result.append(item)
    return result


def source_results(attributions: Iterable, taxonomy: Taxonomy, registry=None) -> list[dict]:
    """Source spans with their per-span kind and reliability, in the labeling config's
    controls; the reliability comes from the registry (unknown when the source is not in it).
    Span and per-region choices share one region id, as Label Studio expects."""
    from annotate.taxonomy import SOURCE_KIND, SOURCE_LABELS, SOURCE_RELIABILITY

    result: list[dict] = []
    for number, attribution in enumerate(a for a in attributions if a.mention is not None):
        mention = attribution.mention
        entry = registry.match(attribution.refers_to or mention.text) if registry is not None else None
        reliability = entry.reliability if entry is not None else "unknown"
        entity = getattr(attribution, "entity", "")
        origin = (f"rule:attribution/{attribution.rule}" + (f" registry:{entry.id}" if entry is not None else "")
                  + (f" entity:{entity}" if entity else "") + (" self-citation" if attribution.self_citation else ""))
        where = {"start": mention.start, "end": mention.end, "text": mention.text}
        region = f"src{number}"
        span = {"id": region, "from_name": SOURCE_LABELS, "to_name": SENTENCE, "type": "labels",
                "value": {**where, "labels": [taxonomy.sources.label.id]}, ORIGIN: origin}
        if entity:  # shown with the region: which mentions of the article were taken for one source
            span["meta"] = {"text": [f"source {entity}: {attribution.entity_name}"]}
        result += [
            span,
            {"id": region, "from_name": SOURCE_KIND, "to_name": SENTENCE, "type": "choices",
             "value": {**where, "choices": [attribution.kind]}, ORIGIN: f"{origin} kind:{attribution.kind_by}"},
            {"id": region, "from_name": SOURCE_RELIABILITY, "to_name": SENTENCE, "type": "choices",
             "value": {**where, "choices": [reliability]}, ORIGIN: "registry" if entry is not None else "default"},
        ]
    return result


def build_prediction(
    sentence_id: str, scores: dict[str, float], thresholds: dict[str, float], hits: list[CueHit],
    taxonomy: Taxonomy, model_version: str, sources: list[dict] | None = None,
) -> dict:
    """One sentence's prediction, in Label Studio's format plus ``sentence_id`` and the scores."""
    combined = combine(scores, hits)
    chosen = {name for name, score in combined.items() if name in thresholds and score >= thresholds[name]}
    first_rule = {}
    for hit in hits:
        first_rule.setdefault(hit.technique, f"rule:{hit.rule}")

    def origin_of(label: str) -> str:
        return "model" if scores.get(label, 0.0) >= thresholds[label] else first_rule.get(label, "model")

    def origin(picked: list[str]) -> str:
        origins = {label: origin_of(label) for label in picked}
        if len(set(origins.values())) == 1:
            return next(iter(origins.values()))
        return "; ".join(f"{label}={where}" for label, where in origins.items())

    result = choices_result(chosen, taxonomy, origin=origin)
    for number, hit in enumerate(hits):
        result.append({"id": f"cue{number}", "from_name": CUE_LABELS, "to_name": SENTENCE, "type": "labels",
                       "value": {"start": hit.start, "end": hit.end, "text": hit.text, "labels": [hit.technique]},
                       ORIGIN: f"rule:{hit.rule}"})
    result += sources or []
    sure = confidence(combined, thresholds)
    return {
        "sentence_id": sentence_id,
        "model_version": model_version,
        "score": sure,
        "uncertainty": round(1 - sure, 4),
        "result": result,
        "scores": {name: round(float(value), 4) for name, value in combined.items()},
    }
