import pytest

from annotate.text.corpus import Sentence
from annotate.errors import InputError
from annotate.studio.export import PullCounts, parse_result, resolve_labels, task_to_row, utf16_to_index
from annotate.studio.pull import rows_from_export
from annotate.taxonomy import load_taxonomy
from annotate.studio.tasks import sentence_to_task

TAX = load_taxonomy()
TEXT = "Selon des sources, le ministère cache tout."


def choices(control, *ids):
    return {"from_name": control, "to_name": "sentence", "type": "choices", "value": {"choices": list(ids)}}


def span(region, control, start, end, label, text=TEXT):
    return {"id": region, "from_name": control, "to_name": "sentence", "type": "labels",
            "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]}}


def region_choice(region, control, value, start, end):
    return {"id": region, "from_name": control, "to_name": "sentence", "type": "choices",
            "value": {"start": start, "end": end, "choices": [value]}}


def task(annotations, text=TEXT, task_id=7):
    sentence = Sentence(id="art:0-43", article_id="art", paragraph_index=1, start=0, end=43, text=text,
                        paragraph=text, title="Titre", outlet="Agence", date="2026-11-25")
    return {"id": task_id, **sentence_to_task(sentence), "annotations": annotations}


def annotation(ann_id, user, result, cancelled=False, updated="2026-11-25T10:00:00Z", lead=4.5):
    return {"id": ann_id, "completed_by": user, "result": result, "was_cancelled": cancelled,
            "lead_time": lead, "updated_at": updated}


def test_result_to_labels_and_spans():
    result = [
        choices("technique_sourcing", "vague_sourcing", "unsupported_allegation"),
        choices("technique_manipulative_wording", "Loaded_Language"),
        span("r1", "source", 6, 17, "source"),
        region_choice("r1", "source_kind", "anonymous_vague", 6, 17),
        region_choice("r1", "source_reliability", "unknown", 6, 17),
        span("r2", "cue", 0, 17, "vague_sourcing"),
    ]
    labels, spans = parse_result(result, TEXT, TAX, "here")
    assert labels == ["unsupported_allegation", "vague_sourcing", "Loaded_Language"]  # taxonomy order
    assert spans == [
        {"start": 0, "end": 17, "text": "Selon des sources", "label": "vague_sourcing", "kind": "", "reliability": ""},
        {"start": 6, "end": 17, "text": "des sources", "label": "source", "kind": "anonymous_vague",
         "reliability": "unknown"},
    ]


@pytest.mark.parametrize("result, message", [
    ([choices("technique_sourcing", "made_up")], "label 'made_up' is not in"),
    ([span("r", "cue", 0, 5, "made_up")], "span label 'made_up' is not in"),
    ([span("r", "source", 0, 5, "source"), region_choice("r", "source_kind", "alien", 0, 5)], "kind 'alien'"),
    ([region_choice("zz", "source_kind", "official", 0, 5)], "attached to no source span"),
    ([{"from_name": "sentiment", "type": "choices", "value": {"choices": ["x"]}}], "unknown control 'sentiment'"),
    ([{"id": "r", "from_name": "cue", "type": "labels",
       "value": {"start": 0, "end": 5, "text": "wrong", "labels": ["Doubt"]}}], "does not match the sentence text"),
])
def test_results_that_do_not_fit_the_taxonomy_are_errors_naming_the_task(result, message):
    with pytest.raises(InputError, match=message) as err:
        task_to_row(task([annotation(1, 3, result)]), TAX, {3: "ann@x"}, PullCounts())
    assert "task 7 (sentence art:0-43), annotation 1 by ann@x" in str(err.value)


def test_utf16_offsets_from_the_browser_are_converted():
    text = "Alerte 🚨 selon des sources."
    # the browser counts the emoji as two code units
    assert utf16_to_index(text, 10) == 9
    result = [{"id": "r", "from_name": "source", "type": "labels",
               "value": {"start": 16, "end": 27, "text": "des sources", "labels": ["source"]}}]
    _, spans = parse_result(result, text, TAX, "here")
    assert text[spans[0]["start"]:spans[0]["end"]] == "des sources"


def test_majority_and_ties():
    assert resolve_labels([["Doubt"]], TAX) == (["Doubt"], [])
    assert resolve_labels([["Doubt", "Slogans"], ["Doubt"]], TAX) == (["Doubt"], ["Slogans"])
    assert resolve_labels([["Doubt"], ["Doubt"], ["Slogans"]], TAX) == (["Doubt"], [])


def test_task_to_row_counts_cancelled_and_keeps_each_annotators_latest():
    counts = PullCounts()
    row = task_to_row(task([
        annotation(1, 1, [choices("technique_sourcing", "vague_sourcing")], updated="2026-11-25T09:00:00Z"),
        annotation(2, 1, [choices("technique_sourcing", "speculative_link")], updated="2026-11-25T11:00:00Z"),
        annotation(3, 2, [choices("technique_sourcing", "speculative_link")], lead=12.0),
        annotation(4, 3, [], cancelled=True),
    ]), TAX, {1: "a@x", 2: "b@x", 3: "c@x"}, counts)
    assert row["labels"] == ["speculative_link"] and row["ties"] == []
    assert [(a["annotator"], a["labels"], a["lead_time"]) for a in row["annotations"]] == [
        ("a@x", ["speculative_link"], 4.5), ("b@x", ["speculative_link"], 12.0)]
    assert (counts.cancelled, counts.superseded, counts.annotations, counts.rows) == (1, 1, 2, 1)
    assert row["id"] == "art:0-43" and row["outlet"] == "Agence" and row["paragraph_index"] == 1


def test_rows_from_export_skips_what_is_not_ours_and_sorts():
    foreign = {"id": 99, "data": {"text": "x"}, "annotations": []}
    only_cancelled = task([annotation(5, 1, [], cancelled=True)], task_id=8)
    good = task([annotation(6, 1, [choices("technique_call", "Slogans")])], task_id=9)
    rows, counts = rows_from_export([foreign, only_cancelled, good], TAX, {1: "a@x"})
    assert [r["task_id"] for r in rows] == [9]
    assert (counts.tasks, counts.without_sentence_id, counts.cancelled) == (3, 1, 1)
    assert counts.label_counts == {"Slogans": 1}


def test_completed_by_may_be_a_user_object():
    row = task_to_row(task([annotation(1, {"id": 5, "email": "e@x"}, [])]), TAX, {}, PullCounts())
    assert row["annotations"][0]["annotator"] == "e@x" and row["labels"] == []
