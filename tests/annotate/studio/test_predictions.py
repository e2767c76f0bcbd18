"""Scores + cue hits -> Label Studio predictions (pure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from annotate.cues import CueHit
from annotate.studio.predictions import ORIGIN, RULE_WEIGHT, build_prediction, combine, confidence
from annotate.taxonomy import label_config, load_taxonomy

TAX = load_taxonomy()
THRESHOLDS = {name: 0.5 for name in TAX.label_names} | {"Repetition": 1.000001}


def scores(**given: float) -> dict[str, float]:
    return {name: given.get(name.replace("-", "_"), 0.0) for name in TAX.label_names}


def test_a_rule_hit_raises_its_technique() -> None:
    hit = CueHit("speculative_link", 0, 16, "Comme par hasard", "speculative_link/1")
    raised = combine(scores(speculative_link=0.2), [hit])
    assert raised["speculative_link"] == 1 - 0.8 * (1 - RULE_WEIGHT)
    assert raised["vague_sourcing"] == 0.0


def test_prediction_result_matches_the_labeling_config() -> None:
    text = "Comme par hasard, une caste corrompue a tout caché."
    hit = CueHit("speculative_link", 0, 16, text[:16], "speculative_link/1")
    prediction = build_prediction("a:0-51", scores(Loaded_Language=0.9, Doubt=0.49), THRESHOLDS, [hit], TAX, "m@1")
    assert prediction["sentence_id"] == "a:0-51" and prediction["model_version"] == "m@1"
    by_name = {item["from_name"]: item for item in prediction["result"]}
    assert by_name["technique_manipulative_wording"]["value"]["choices"] == ["Loaded_Language"]
    assert by_name["technique_manipulative_wording"][ORIGIN] == "model"
    assert by_name["technique_sourcing"]["value"]["choices"] == ["speculative_link"]
    assert by_name["technique_sourcing"][ORIGIN] == "rule:speculative_link/1"  # 0 alone: the rule made it
    assert by_name["cue"]["value"] == {"start": 0, "end": 16, "text": "Comme par hasard",
                                       "labels": ["speculative_link"]}
    assert by_name["cue"][ORIGIN] == "rule:speculative_link/1"
    assert "technique_attack_on_reputation" not in by_name  # Doubt at 0.49 stays below 0.5
    # Every control, label and choice named exists in the project's labeling config.
    config = ET.fromstring(label_config(TAX))
    controls = {node.get("name"): {child.get("alias") or child.get("value") for child in node}
                for node in config.iter() if node.tag in ("Choices", "Labels")}
    for item in prediction["result"]:
        assert item["to_name"] == "sentence"
        values = item["value"].get("choices") or item["value"].get("labels")
        assert set(values) <= controls[item["from_name"]], item


def test_the_score_is_the_probability_that_the_whole_answer_is_right() -> None:
    # picked at 0.9 (right with 0.9), left out at 0.2 (right with 0.8): 0.72
    assert confidence({"a": 0.9, "b": 0.2}, {"a": 0.5, "b": 0.5}) == 0.72
    # a threshold of 0.3 picks a label scored 0.4: the model still thinks it is 60 % wrong
    assert confidence({"a": 0.4}, {"a": 0.3}) == 0.4
    assert confidence({"a": 0.0, "b": 1.0}, {"a": 0.5, "b": 0.5}) == 1.0
    assert confidence({"a": 0.9}, {"a": 1.000001}) == 1.0  # a label never predicted takes no decision
    sure = build_prediction("x", scores(), THRESHOLDS, [], TAX, "m")
    unsure = build_prediction("y", scores(Doubt=0.48), THRESHOLDS, [], TAX, "m")
    assert sure["score"] == 1.0
    assert unsure["score"] == 0.52 and unsure["uncertainty"] == 0.48


def test_each_label_says_whether_the_model_or_a_rule_picked_it() -> None:
    text = "Selon des sources, comme par hasard, le ministre savait."
    hits = [CueHit("speculative_link", 19, 35, text[19:35], "speculative_link/1"),
            CueHit("vague_sourcing", 0, 17, text[:17], "vague_sourcing/2")]
    # vague_sourcing: the model alone crosses 0.5 (the rule fired too); speculative_link: only the rule
    prediction = build_prediction("a:0-55", scores(vague_sourcing=0.7, speculative_link=0.1), THRESHOLDS, hits,
                                  TAX, "m@1")
    sourcing = next(item for item in prediction["result"] if item["from_name"] == "technique_sourcing")
    assert sorted(sourcing["value"]["choices"]) == ["speculative_link", "vague_sourcing"]
    assert sourcing[ORIGIN] == "speculative_link=rule:speculative_link/1; vague_sourcing=model"


def test_source_spans_match_the_labeling_config_and_the_registry() -> None:
    from annotate.sources.attribution import extract
    from annotate.studio.predictions import source_results
    from annotate.sources.registry import load_registry

    registry = load_registry()
    text = "Selon Korvan Info, l'armée a franchi la frontière, a déclaré un proche du dossier."
    attributions = extract(text, registry)
    results = source_results(attributions, TAX, registry)
    prediction = build_prediction("a:0-82", {}, {}, [], TAX, "sources@1", sources=results)
    regions: dict[str, dict] = {}
    for item in prediction["result"]:
        regions.setdefault(item["id"], {})[item["from_name"]] = item
    assert len(regions) == 2
    korvan = next(r for r in regions.values() if r["source"]["value"]["text"] == "Korvan Info")
    assert korvan["source_kind"]["value"]["choices"] == ["state_media"]
    assert korvan["source_reliability"]["value"]["choices"] == ["low"]  # from configs/sources.yaml
    assert korvan["source_reliability"][ORIGIN] == "registry"
    assert "registry:korvan-info" in korvan["source"][ORIGIN]
    assert korvan["source_kind"][ORIGIN].endswith("kind:registry")  # the registry's kind, not a guess
    vague = next(r for r in regions.values() if r["source"]["value"]["text"] == "un proche du dossier")
    assert vague["source_kind"]["value"]["choices"] == ["anonymous_vague"]
    assert vague["source_reliability"]["value"]["choices"] == ["unknown"]  # not in the registry: not guessed
    for region in regions.values():  # span and per-region choices share offsets
        spans = {(item["value"]["start"], item["value"]["end"]) for item in region.values()}
        assert len(spans) == 1 and text[slice(*spans.pop())] == region["source"]["value"]["text"]
    config = ET.fromstring(label_config(TAX))
    controls = {node.get("name"): {child.get("alias") or child.get("value") for child in node}
                for node in config.iter() if node.tag in ("Choices", "Labels")}
    for item in prediction["result"]:
        values = item["value"].get("choices") or item["value"].get("labels")
        assert set(values) <= controls[item["from_name"]], item


def test_no_result_item_uses_label_studios_own_origin_key() -> None:
    hit = CueHit("speculative_link", 0, 16, "Comme par hasard", "speculative_link/1")
    prediction = build_prediction("a:0-51", scores(Loaded_Language=0.9), THRESHOLDS, [hit], TAX, "m@1")
    assert prediction["result"] and all("origin" not in item and ORIGIN in item for item in prediction["result"])
