"""Pre-annotations into a real Label Studio: on the right tasks, visible, never duplicated."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from annotate.text.corpus import ingest, read_sentences
from annotate.cues import load_cues
from annotate.studio.push import UNCERTAINTY_SAMPLING, push, push_predictions
from annotate.taxonomy import load_taxonomy
from tests.conftest import SAMPLES
from tests.builders import write_config
from train.models.config import load_train_config
from train.models.model import load_model
from train.preannotate import preannotate, read_predictions
from train.models.training import train_model

pytestmark = pytest.mark.integration
TAX = load_taxonomy()


@pytest.fixture(scope="module")
def predictions(labelled_split: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: F811
    folder = tmp_path_factory.mktemp("preannotate")
    model = load_model(train_model(load_train_config(write_config(folder, "tfidf", labelled_split)), TAX).output)
    out = folder / "predictions.jsonl"
    preannotate(read_sentences(SAMPLES), model, TAX, load_cues(TAX), out)
    return model.model_version, read_predictions(out)


def predictions_by_task(admin, project_id: int) -> Counter:
    return Counter(p.task for p in admin.sdk.predictions.list(project=project_id))


def test_predictions_land_on_their_tasks_once(server, admin, predictions, tmp_path) -> None:
    version, by_sentence = predictions
    ingested = tmp_path / "sentences.jsonl"
    ingest([SAMPLES], ingested, progress=False)
    summary = push(ingested, server.conn, TAX, "Pré-annotation")
    sentences = list(read_sentences(SAMPLES))
    first = push_predictions(server.conn, TAX, "Pré-annotation", sentences, by_sentence, version,
                             uncertainty_sampling=True)
    assert (first.added, first.already_there, first.imported_tasks) == (len(sentences), 0, 0)
    project = admin.get_project(summary.project_id)
    assert project.model_version == version and project.sampling == UNCERTAINTY_SAMPLING

    tasks = admin.task_ids_by_sentence(summary.project_id)
    counts = predictions_by_task(admin, summary.project_id)
    assert set(counts) == set(tasks.values()) and set(counts.values()) == {1}
    # The prediction of a sentence is on that sentence's task, with its result and provenance.
    with_cue = next(s for s, p in by_sentence.items() if any(i["type"] == "labels" for i in p["result"]))
    task = admin.sdk.tasks.get(tasks[with_cue])
    stored = task.predictions[0]
    stored = stored if isinstance(stored, dict) else stored.dict()
    assert stored["model_version"] == version and stored["result"] == by_sentence[with_cue]["result"]
    assert stored["score"] == pytest.approx(by_sentence[with_cue]["score"])

    again = push_predictions(server.conn, TAX, "Pré-annotation", sentences, by_sentence, version)
    assert (again.added, again.already_there, again.imported_tasks) == (0, len(sentences), 0)
    assert predictions_by_task(admin, summary.project_id) == counts


def test_sentences_without_a_task_are_imported_with_their_prediction(server, admin, predictions) -> None:
    version, by_sentence = predictions
    sentences = list(read_sentences(SAMPLES))
    summary = push_predictions(server.conn, TAX, "Pré-annotation neuve", sentences, by_sentence, version)
    assert (summary.added, summary.imported_tasks) == (0, len(sentences))
    counts = predictions_by_task(admin, summary.project_id)
    assert len(counts) == len(sentences) and set(counts.values()) == {1}
    again = push_predictions(server.conn, TAX, "Pré-annotation neuve", sentences, by_sentence, version)
    assert (again.added, again.already_there, again.imported_tasks) == (0, len(sentences), 0)


def test_a_new_project_has_a_least_certain_first_tab_made_once(server, admin, tmp_path) -> None:
    from annotate.studio.push import REVIEW_VIEW

    ingested = tmp_path / "sentences.jsonl"
    ingest([SAMPLES], ingested, progress=False)
    summary = push(ingested, server.conn, TAX, "Onglet de revue")
    views = admin.views(summary.project_id)
    ours = [v for v in views if v.data.get("title") == REVIEW_VIEW]
    assert len(ours) == 1
    assert ours[0].data["ordering"] == ["tasks:predictions_score"]
    hidden = ours[0].data["hiddenColumns"]["explore"]
    assert "tasks:data.paragraph" in hidden and "tasks:data.text" not in hidden
    assert "tasks:predictions_score" not in hidden and "tasks:predictions_results" not in hidden
    # the team renames it: a later push leaves their tab alone and adds none
    admin.sdk.views.update(id=ours[0].id, data={**ours[0].data, "title": "Notre onglet"})
    push(ingested, server.conn, TAX, "Onglet de revue")
    titles = [v.data.get("title") for v in admin.views(summary.project_id)]
    assert "Notre onglet" in titles and REVIEW_VIEW not in titles


def test_pull_and_uptake_show_what_annotators_did_with_the_predictions(server, admin, predictions, tmp_path) -> None:
    """As the labeling screen does: an annotation made from a pre-annotation names its parent
    prediction; pull keeps it and `propa uptake` counts what was kept and changed."""
    from click.testing import CliRunner

    from annotate.cli import cli
    from annotate.studio.pull import pull
    from annotate.studio.pulled import ROWS_FILE

    version, by_sentence = predictions

    def techniques(sentence) -> set[str]:
        return {label for item in by_sentence[sentence.id]["result"] if item["type"] == "choices"
                and item["from_name"].startswith("technique_") for label in item["value"]["choices"]}

    sentences = [sentence for sentence in read_sentences(SAMPLES) if techniques(sentence)][:6]
    assert len(sentences) == 6
    title = "Valeur des pré-annotations"
    pushed = push_predictions(server.conn, TAX, title, sentences, by_sentence, version)
    tasks = admin.task_ids_by_sentence(pushed.project_id)
    for number, sentence in enumerate(sentences):
        task = admin.sdk.tasks.get(id=tasks[sentence.id])
        prediction = task.predictions[0]
        prediction = prediction if isinstance(prediction, dict) else prediction.dict()
        if number < 4:  # accepted as predicted
            admin.create_annotation(task.id, prediction["result"], lead_time=5.0 + number,
                                    parent_prediction=prediction["id"])
        else:  # every technique removed
            result = [item for item in prediction["result"] if item["type"] != "choices"
                      or not item["from_name"].startswith("technique_")]
            admin.create_annotation(task.id, result, lead_time=30.0, parent_prediction=prediction["id"])
    out = tmp_path / "pulled"
    pull(server.conn, TAX, title, out)
    rows = [json.loads(line) for line in (out / ROWS_FILE).open(encoding="utf-8")]
    started = [a["prediction"] for row in rows for a in row["annotations"]]
    assert len(started) == 6 and {p["model_version"] for p in started} == {version}
    for row in rows:
        sentence = next(s for s in sentences if s.id == row["id"])
        assert set(row["annotations"][0]["prediction"]["labels"]) == techniques(sentence)
    unchanged = 4  # the two others had every technique removed
    result = CliRunner().invoke(cli, ["uptake", str(out)])
    assert result.exit_code == 0, result.output
    assert f"## {version}" in result.output
    assert f"6 annotations started from its predictions; {unchanged} ({unchanged / 6:.0%}) submitted" in result.output
