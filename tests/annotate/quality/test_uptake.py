"""What the pre-annotations were worth (pure): rows from `propa pull` in, figures out."""

from __future__ import annotations

import pytest

from annotate.studio.export import PullCounts, task_to_row
from annotate.taxonomy import load_taxonomy
from annotate.quality.uptake import WITHOUT, format_uptake, uptake_report

TAX = load_taxonomy()


def annotation(labels, lead_time, version=None, predicted=()):
    prediction = None if version is None else {"id": 1, "model_version": version, "score": 0.5,
                                               "labels": list(predicted)}
    return {"annotator": "a@x", "labels": list(labels), "spans": [], "lead_time": lead_time, "prediction": prediction}


ROWS = [
    {"id": "s1", "annotations": [annotation(["vague_sourcing"], 10.0, "m@1", ["vague_sourcing"])]},
    {"id": "s2", "annotations": [annotation(["vague_sourcing", "Doubt"], 20.0, "m@1", ["vague_sourcing"])]},
    {"id": "s3", "annotations": [annotation([], 6.0, "m@1", ["speculative_link"])]},
    {"id": "s4", "annotations": [annotation(["Doubt"], 30.0), annotation(["Doubt"], 40.0, "m@2", ["Doubt"])]},
    {"id": "s5", "annotations": [annotation([], 50.0)]},
]


def test_uptake_per_model_version():
    report = uptake_report(ROWS)
    assert set(report) == {"m@1", "m@2", WITHOUT}
    first = report["m@1"]
    assert (first.annotations, first.unchanged) == (3, 1)
    assert first.precision("vague_sourcing") == 1.0 and first.recall("vague_sourcing") == 1.0
    assert first.precision("speculative_link") == 0.0 and first.recall("speculative_link") is None
    assert first.precision("Doubt") is None and first.recall("Doubt") == 0.0  # added by the annotator
    assert first.median_time == 10.0
    assert report["m@2"].unchanged_share == 1.0
    assert report[WITHOUT].annotations == 2 and report[WITHOUT].median_time == 40.0


def test_the_report_reads_as_tables():
    text = format_uptake(uptake_report(ROWS), TAX)
    assert "Annotations made without a pre-annotation: 2, median time per task 40.0 s." in text
    assert "## m@1" in text and "3 annotations started from its predictions; 1 (33%) submitted with exactly" in text
    assert "| vague_sourcing | 2 | 2 | 0 | 1.00 | 1.00 |" in text
    assert "| speculative_link | 1 | 0 | 0 | 0.00 | — |" in text
    assert "| Doubt | 0 | 0 | 1 | — | 0.00 |" in text
    assert "| Loaded_Language |" not in text  # nothing to say about it


def test_no_pre_annotation_says_how_to_get_some():
    assert "propa preannotate --push" in format_uptake(uptake_report([ROWS[-1]]), TAX)


def test_pull_keeps_the_prediction_an_annotation_started_from():
    """The snapshot export's annotation holds its parent prediction whole (seen on Label Studio 1.23.2)."""
    text = "Selon des sources, le ministre savait."
    choice = {"from_name": "technique_sourcing", "to_name": "sentence", "type": "choices",
              "value": {"choices": ["vague_sourcing"]}}
    task = {"id": 7, "data": {"sentence_id": "a:0-38", "text": text}, "annotations": [
        {"id": 3, "completed_by": 1, "was_cancelled": False, "lead_time": 4.2, "result": [choice],
         "parent_prediction": 43, "prediction": {"id": 43, "model_version": "m@1", "score": 0.07,
                                                  "result": [choice, {**choice, "from_name": "technique_call",
                                                                      "value": {"choices": ["Appeal_to_Time"]}}]}},
        {"id": 4, "completed_by": 2, "was_cancelled": False, "lead_time": 9.0, "result": [choice],
         "prediction": None},
        # only viewed, not started from (the export fills "prediction", parent_prediction is None)
        {"id": 5, "completed_by": 3, "was_cancelled": False, "lead_time": 7.0, "result": [choice],
         "parent_prediction": None, "prediction": {"id": 43, "model_version": "m@1", "score": 0.07,
                                                   "result": [choice]}}]}
    row = task_to_row(task, TAX, {1: "a@x", 2: "b@x", 3: "c@x"}, PullCounts())
    first, second, third = row["annotations"]
    assert first["prediction"] == {"id": 43, "model_version": "m@1", "score": pytest.approx(0.07),
                                   "labels": ["vague_sourcing", "Appeal_to_Time"]}
    assert second["prediction"] is None and third["prediction"] is None
