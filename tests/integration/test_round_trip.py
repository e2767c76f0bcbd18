"""Corpus -> Label Studio -> annotations by two real users -> dataset, on a real server."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from annotate.text.corpus import ingest, read_corpus
from annotate.errors import InputError, ServerError
from annotate.studio.client import LabelStudioClient
from annotate.studio.pull import pull
from annotate.studio.push import open_project, push, push_sentences
from annotate.taxonomy import label_config, load_taxonomy
from tests.conftest import SAMPLES, read_jsonl
from tests.integration.conftest import free_port, signup_annotator

pytestmark = pytest.mark.integration
TAX = load_taxonomy()


def choices(control: str, *ids: str) -> dict:
    return {"from_name": control, "to_name": "sentence", "type": "choices", "value": {"choices": list(ids)}}


def span(region: str, control: str, text: str, piece: str, label: str) -> dict:
    start = text.index(piece)
    return {"id": region, "from_name": control, "to_name": "sentence", "type": "labels",
            "value": {"start": start, "end": start + len(piece), "text": piece, "labels": [label]}}


def per_region(region: str, control: str, text: str, piece: str, value: str) -> dict:
    start = text.index(piece)
    return {"id": region, "from_name": control, "to_name": "sentence", "type": "choices",
            "value": {"start": start, "end": start + len(piece), "text": piece, "choices": [value]}}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "sentences.jsonl"
    ingest([SAMPLES], out, progress=False)
    return out


def test_label_config_passes_the_servers_strict_validation(admin):
    project_id, created = open_project(admin, "Validation", TAX)
    assert created
    admin.validate_label_config(label_config(TAX), project_id)  # raises on a config the server refuses
    project = admin.get_project(project_id)
    assert project.label_config.strip() == label_config(TAX).strip()
    assert 'alias="speculative_link"' in project.label_config
    assert TAX.techniques[0].definition.split()[0] in project.expert_instruction
    # reopening finds the same project instead of creating another
    assert open_project(admin, "Validation", TAX) == (project_id, False)


def test_round_trip_with_two_annotators(server, admin, corpus, tmp_path, monkeypatch):
    sentences = list(read_corpus(corpus))
    summary = push(corpus, server.conn, TAX, "Round trip", batch_size=50, progress=False)
    assert (summary.created, summary.imported, summary.already_there) == (True, len(sentences), 0)
    tasks = admin.task_ids_by_sentence(summary.project_id)
    assert set(tasks) == {s.id for s in sentences}

    by_text = {s.text: s for s in sentences}
    vague = by_text["Source : Divers"]
    alleg = next(s for s in sentences if "dispose de preuves accablantes" in s.text)
    clean = sentences[1]
    task = admin.sdk.tasks.get(id=tasks[alleg.id])
    assert task.data["text"] == alleg.text and task.data["paragraph"] == alleg.paragraph
    assert task.data["title"] == alleg.title and task.data["sentence_id"] == alleg.id

    ann1 = LabelStudioClient(signup_annotator(admin, "ann1@propa.test", "Annotatrice-1!", personal_token=False))
    ann2 = LabelStudioClient(signup_annotator(admin, "ann2@propa.test", "Annotateur-2!", personal_token=True))
    assert ann1.user.email == "ann1@propa.test" and ann2.user.email == "ann2@propa.test"

    ann1.create_annotation(tasks[vague.id], [
        choices("technique_sourcing", "vague_sourcing"),
        span("s1", "source", vague.text, "Divers", "source"),
        per_region("s1", "source_kind", vague.text, "Divers", "anonymous_vague"),
        per_region("s1", "source_reliability", vague.text, "Divers", "unknown"),
    ], lead_time=5.0)
    ann1.create_annotation(tasks[alleg.id], [
        choices("technique_sourcing", "unsupported_allegation", "vague_sourcing"),
        span("c1", "cue", alleg.text, "dispose de preuves accablantes", "unsupported_allegation"),
    ], lead_time=9.5)
    ann1.create_annotation(tasks[clean.id], [], lead_time=2.0)
    ann2.create_annotation(tasks[vague.id], [choices("technique_sourcing", "vague_sourcing"),
                                             choices("technique_attack_on_reputation", "Doubt")], lead_time=7.0)
    ann2.create_annotation(tasks[alleg.id], [choices("technique_sourcing", "unsupported_allegation")])
    ann2.create_annotation(tasks[clean.id], [], was_cancelled=True)

    monkeypatch.setenv("LABEL_STUDIO_URL", server.conn.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", server.conn.api_key)
    out = tmp_path / "annotated"
    result = CliRunner().invoke(cli, ["pull", "--project", "Round trip", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 annotated sentences from 5 annotations; left out: 1 skipped" in result.output
    assert server.conn.api_key not in result.output

    rows = {row["id"]: row for row in read_jsonl(out / "annotations.jsonl")}
    assert set(rows) == {vague.id, alleg.id, clean.id}
    row = rows[vague.id]
    assert (row["labels"], row["ties"]) == (["vague_sourcing"], ["Doubt"])
    assert [(a["annotator"], a["labels"], a["lead_time"]) for a in row["annotations"]] == [
        ("ann1@propa.test", ["vague_sourcing"], 5.0), ("ann2@propa.test", ["vague_sourcing", "Doubt"], 7.0)]
    divers = vague.text.index("Divers")
    assert row["annotations"][0]["spans"] == [{"start": divers, "end": divers + 6, "text": "Divers", "label": "source",
                                               "kind": "anonymous_vague", "reliability": "unknown"}]
    from annotate.sources.kinds import annotated_examples

    assert annotated_examples(out) == [("Divers", "anonymous_vague")]  # what `--kinds-from` learns from
    row = rows[alleg.id]
    assert (row["labels"], row["ties"]) == (["unsupported_allegation"], ["vague_sourcing"])
    assert [s["text"] for s in row["annotations"][0]["spans"]] == ["dispose de preuves accablantes"]
    assert row["article_id"] == alleg.article_id and row["start"] == alleg.start and row["text"] == alleg.text
    row = rows[clean.id]
    assert (row["labels"], [a["annotator"] for a in row["annotations"]]) == ([], ["ann1@propa.test"])

    from datasets import load_from_disk

    dataset = load_from_disk(str(out / "dataset"))["all"]
    assert len(dataset) == 3
    names = dataset.features["labels"].feature.names
    assert names == TAX.label_names
    decoded = {r["id"]: [names[i] for i in r["labels"]] for r in dataset}
    assert decoded == {key: value["labels"] for key, value in rows.items()}

    # pushing the same corpus again adds nothing; a grown corpus adds only its new sentences
    again = push(corpus, server.conn, TAX, "Round trip", progress=False)
    assert (again.created, again.imported, again.already_there) == (False, 0, len(sentences))
    grown_dir = tmp_path / "grown"
    shutil.copytree(SAMPLES, grown_dir)
    (grown_dir / "99-nouveau.txt").write_text(
        "Un nouvel article\n\nSelon des sources, tout change. Le ministère dément.\n", encoding="utf-8")
    grown = tmp_path / "grown.jsonl"
    ingest([grown_dir], grown, progress=False)
    more = push(grown, server.conn, TAX, str(summary.project_id), progress=False)
    assert (more.imported, more.already_there) == (3, len(sentences))
    assert len(admin.task_ids_by_sentence(summary.project_id)) == len(sentences) + 3
    assert admin.get_project(summary.project_id).task_number == len(sentences) + 3


def test_an_annotation_outside_the_taxonomy_stops_the_pull(server, admin, corpus, tmp_path):
    summary = push(corpus, server.conn, TAX, "Unknown label", progress=False)
    task_id = next(iter(admin.task_ids_by_sentence(summary.project_id).values()))
    # Label Studio itself accepts labels that are not in the config (NOTES.md): we must not.
    admin.create_annotation(task_id, [choices("technique_sourcing", "made_up_technique")])
    with pytest.raises(InputError, match=rf"task {task_id} \(sentence .*\).*label 'made_up_technique' is not in"):
        pull(server.conn, TAX, "Unknown label", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_interrupted_push_is_completed_by_a_rerun(server, admin, corpus):
    sentences = list(read_corpus(corpus))
    client = LabelStudioClient(server.conn)
    project_id, _ = open_project(client, "Interrupted", TAX)
    real_import, calls = client.import_tasks, []

    def import_then_kill(project: int, batch: list[dict]) -> int:
        calls.append(len(batch))
        if len(calls) == 3:
            server.stop()  # the server dies in the middle of the push
        return real_import(project, batch)

    client.import_tasks = import_then_kill
    try:
        with pytest.raises(ServerError, match="(cannot reach|lost the connection to) Label Studio"):
            push_sentences(client, project_id, read_corpus(corpus), batch_size=40, progress=False)
    finally:
        server.start()
    assert len(calls) == 3
    rerun = push(corpus, server.conn, TAX, "Interrupted", batch_size=40, progress=False)
    assert rerun.already_there == 80 and rerun.imported == len(sentences) - 80
    ids = [task.data["sentence_id"] for task in admin.sdk.tasks.list(project=project_id, include="id,data")]
    assert sorted(ids) == sorted(s.id for s in sentences)  # every sentence exactly once


def test_wrong_token_and_stopped_server_are_one_clear_line(server, corpus, monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv("LABEL_STUDIO_URL", server.conn.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-the-right-token")
    result = runner.invoke(cli, ["push", str(corpus)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: Label Studio at {server.conn.url} refused the API key (HTTP 401) while checking the API key; "
        "check LABEL_STUDIO_API_KEY or the local config"]
    assert "not-the-right-token" not in result.output

    down = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(cli, ["pull", "--url", down])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: cannot reach Label Studio at {down}")
