"""A second `propa pull` into the same folder fetches only what changed, and ends with exactly
what a full pull gives (issue 14): new, changed and deleted annotations, real server."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from annotate.text.corpus import ingest, read_corpus
from annotate.studio.pull import pull
from annotate.studio.pulled import ROWS_FILE, STATE_FILE
from annotate.studio.push import push
from annotate.taxonomy import load_taxonomy
from tests.conftest import SAMPLES

pytestmark = pytest.mark.integration
TAX = load_taxonomy()


def choices(control: str, *ids: str) -> dict:
    return {"from_name": control, "to_name": "sentence", "type": "choices", "value": {"choices": list(ids)}}


def rows(folder) -> dict[str, dict]:
    return {row["id"]: row for row in map(json.loads, (folder / ROWS_FILE).open(encoding="utf-8"))}


def test_a_second_pull_merges_what_changed_like_a_full_pull(server, admin, tmp_path):
    corpus = tmp_path / "sentences.jsonl"
    ingest([SAMPLES], corpus, progress=False)
    sentences = list(read_corpus(corpus))[:12]
    title = "Pull incrémental"
    summary = push(corpus, server.conn, TAX, title, progress=False)
    tasks = admin.task_ids_by_sentence(summary.project_id)
    made = {}
    for sentence in sentences[:6]:
        made[sentence.id] = admin.create_annotation(
            tasks[sentence.id], [choices("technique_sourcing", "vague_sourcing")], lead_time=3.0)
    out = tmp_path / "pulled"
    time.sleep(2)  # so that what was made above is older than the pull's mark (the server's clock, in seconds)
    first = pull(server.conn, TAX, title, out)
    assert first.changed is None and first.counts.rows == 6  # the first pull exports everything
    state = json.loads((out / STATE_FILE).read_text())
    assert state["project_id"] == summary.project_id

    # meanwhile: two new annotations, one changed, one deleted (its task has none left)
    for sentence in sentences[6:8]:
        admin.create_annotation(tasks[sentence.id], [choices("technique_call", "Slogans")], lead_time=4.0)
    changed, deleted = sentences[0], sentences[1]
    admin.sdk.annotations.update(id=made[changed.id].id, result=[choices("technique_sourcing", "speculative_link")])
    admin.sdk.annotations.delete(id=made[deleted.id].id)

    time.sleep(2)  # (the mark has whole seconds: what changed in its second is fetched again, harmlessly)
    second = pull(server.conn, TAX, title, out, overlap=timedelta(0))
    assert second.changed is not None and 4 <= second.changed < len(tasks)  # only the updated tasks
    assert second.removed == 1
    merged = rows(out)
    assert len(merged) == 7 and deleted.id not in merged
    assert merged[changed.id]["labels"] == ["speculative_link"]
    assert merged[sentences[6].id]["labels"] == ["Slogans"]

    full = pull(server.conn, TAX, title, tmp_path / "full", full=True)
    assert full.changed is None
    assert merged == rows(tmp_path / "full")  # nothing lost, nothing stale

    started = time.perf_counter()
    time.sleep(2)
    third = pull(server.conn, TAX, title, out, overlap=timedelta(0))  # nothing changed since
    assert third.changed == 0 and rows(out) == merged
    assert time.perf_counter() - started < 60  # (a sanity bound, not a speed target: see bench/push_pull.py)
