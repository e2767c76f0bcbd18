"""Two pushes at once, and answers lost after the server saved: each sentence ends up once.

Issue 13: two pushes to a new title made two projects; the same corpus pushed twice at once
gave every sentence twice; the SDK resent an import whose answer was lost after the server
had saved it. Real server, real processes; counts by sentence id.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from annotate.text.corpus import read_corpus
from annotate.studio.client import LabelStudioClient
from annotate.studio.push import push, push_predictions
from annotate.studio.settings import Connection
from annotate.taxonomy import load_taxonomy
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration
TAX = load_taxonomy()
ROOT = Path(__file__).resolve().parents[2]


def write_corpus(path: Path, articles: int, sentences: int, tag: str) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for article in range(articles):
            offset = 0
            for number in range(sentences):
                text = f"Selon des sources proches du dossier {tag}, l'affaire {article}-{number} serait étouffée."
                record = {"id": f"{tag}-{article}:{offset}-{offset + len(text)}", "article_id": f"{tag}-{article}",
                          "paragraph_index": 1, "start": offset, "end": offset + len(text), "text": text,
                          "paragraph": text, "title": f"Article {article}"}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                offset += len(text) + 1
    return path


def sentence_counts(admin: LabelStudioClient, project_id: int) -> Counter:
    return Counter({sentence: len(tasks) for sentence, tasks in admin.tasks_by_sentence(project_id).items()})


def projects_titled(admin: LabelStudioClient, title: str) -> list[int]:
    return [p.id for p in admin.projects_titled(title)]


def run_together(commands: list[list[str]], env: dict, start_file: Path) -> list[subprocess.CompletedProcess]:
    """Start the processes, let them all reach the start line, then release them at once."""
    processes = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for command in commands]
    start_file.write_text("go")
    results = []
    for command, process in zip(commands, processes):
        out, err = process.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


WAIT_THEN_PUSH = """
import sys, time
from pathlib import Path
start = Path(sys.argv[1])
while not start.exists():
    time.sleep(0.01)
from annotate.studio.push import push
from annotate.studio.settings import Connection
from annotate.taxonomy import load_taxonomy
summary = push(Path(sys.argv[2]), Connection(sys.argv[3], sys.argv[4]), load_taxonomy(), sys.argv[5],
               batch_size=100, lock=None)
print(summary.project_id, summary.created, summary.imported, summary.duplicates_removed)
"""


def test_two_pushes_from_two_machines_end_with_one_project_and_each_sentence_once(server, admin, tmp_path):
    """No shared lock (as from two machines): the project race and the duplicate check repair it."""
    corpus = write_corpus(tmp_path / "corpus.jsonl", 20, 60, "deux-machines")  # 1,200 sentences
    title = "Deux pushes sans verrou"
    conn = server.conn
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", WAIT_THEN_PUSH, str(tmp_path / "go"), str(corpus), conn.url, conn.api_key, title]
    results = run_together([command, command], env, tmp_path / "go")
    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
    assert len(projects_titled(admin, title)) == 1
    project_id = projects_titled(admin, title)[0]
    counts = sentence_counts(admin, project_id)
    assert len(counts) == 1_200 and set(counts.values()) == {1}
    assert {int(r.stdout.split()[0]) for r in results} == {project_id}
    # and a later push finds nothing to import, nothing to repair
    again = push(corpus, conn, TAX, title)
    assert (again.imported, again.already_there, again.duplicates_removed) == (0, 1_200, 0)


def test_two_cli_pushes_on_this_machine_take_turns(server, admin, tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 10, 50, "deux-cli")
    title = "Deux pushes en même temps"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PROPA_HOME": str(server.state)}
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
        env.pop(name, None)
    command = [sys.executable, "-c", f"import sys, time; from pathlib import Path\n"
               f"while not Path({str(tmp_path / 'go')!r}).exists(): time.sleep(0.01)\n"
               f"from annotate.cli import main; sys.argv = ['propa', 'push', {str(corpus)!r}, '--project', {title!r},"
               f" '--batch-size', '50']; main()"]
    results = run_together([command, command], env, tmp_path / "go")
    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
    outputs = sorted(r.stdout.splitlines()[0] for r in results)
    project_id = projects_titled(admin, title)[0]
    assert len(projects_titled(admin, title)) == 1
    tail = "500 sentences in the corpus"
    assert outputs == [f"project {project_id} (created): 500 tasks imported, 0 already there, {tail}",
                       f"project {project_id} (reused): 0 tasks imported, 500 already there, {tail}"]
    assert any("waiting for it to finish" in r.stderr for r in results)
    assert set(sentence_counts(admin, project_id).values()) == {1}


def test_a_later_push_repairs_duplicates_and_keeps_annotated_ones(server, admin, tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 1, 6, "réparation")
    title = "Doublons à réparer"
    summary = push(corpus, server.conn, TAX, title)
    sentences = list(read_corpus(corpus))
    # what the old code let two simultaneous pushes do: every sentence imported twice
    admin.import_tasks(summary.project_id, [{"data": {"sentence_id": s.id, "text": s.text, "paragraph": s.paragraph,
                                                      "title": s.title}} for s in sentences])
    tasks = admin.tasks_by_sentence(summary.project_id)
    annotated_sentence = sentences[2].id
    second_copy = max(task for task, _ in tasks[annotated_sentence])
    admin.create_annotation(second_copy, [], lead_time=3.0)  # an annotator worked on the copy
    both_annotated = sentences[4].id
    for task, _ in tasks[both_annotated]:  # two annotators, one on each copy: both stay
        admin.create_annotation(task, [], lead_time=2.0)
    again = push(corpus, server.conn, TAX, title)
    assert (again.imported, again.duplicates_removed, again.duplicates_kept) == (0, 5, 1)
    after = admin.tasks_by_sentence(summary.project_id)
    assert {s: len(t) for s, t in after.items()} == {s.id: (2 if s.id == both_annotated else 1) for s in sentences}
    assert after[annotated_sentence] == [(second_copy, 1)]  # the annotated copy stayed, the blank original went
    assert sorted(after[both_annotated]) == sorted((task, 1) for task, _ in tasks[both_annotated])


class DropAfterSave(BaseHTTPRequestHandler):
    """Forwards to the server; the first time a request's path ends with ``drop_suffix`` the
    server's answer is read and thrown away, and the connection closed: saved, answer lost."""

    upstream = ""
    drop_suffix = ""
    dropped: list[str] = []

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        response = httpx.request(self.command, self.upstream + self.path, headers=headers, content=body, timeout=120)
        if self.command == "POST" and self.path.split("?")[0].endswith(self.drop_suffix) and not self.dropped:
            self.dropped.append(self.path)
            self.close_connection = True
            return  # nothing written back: the client sees the connection close
        self.send_response(response.status_code)
        for key, value in response.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.content)))
        self.end_headers()
        self.wfile.write(response.content)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _forward

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def proxy(server):
    def start(suffix: str) -> tuple[Connection, list[str]]:
        handler = type("Handler", (DropAfterSave,), {"upstream": server.conn.url, "drop_suffix": suffix, "dropped": []})
        httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append(httpd)
        return Connection(f"http://127.0.0.1:{httpd.server_address[1]}", server.conn.api_key), handler.dropped

    started: list[ThreadingHTTPServer] = []
    yield start
    for httpd in started:
        httpd.shutdown()


def test_an_import_saved_but_unanswered_is_not_sent_twice(server, admin, proxy, tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 3, 40, "réponse-perdue")
    conn, dropped = proxy("/import")
    summary = push(corpus, conn, TAX, "Réponse perdue", batch_size=50)
    assert len(dropped) == 1  # the proxy did lose one answer
    assert (summary.imported, summary.duplicates_removed) == (120, 0)
    counts = sentence_counts(admin, summary.project_id)
    assert len(counts) == 120 and set(counts.values()) == {1}


def test_predictions_saved_but_unanswered_are_not_sent_twice(server, admin, proxy, tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 1, 30, "prédiction-perdue")
    title = "Prédictions, réponse perdue"
    summary = push(corpus, server.conn, TAX, title)
    sentences = list(read_corpus(corpus))
    result = [{"from_name": "technique_sourcing", "to_name": "sentence", "type": "choices",
               "value": {"choices": ["vague_sourcing"]}}]
    predictions = {s.id: {"result": result, "score": 0.9, "model_version": "test@1"} for s in sentences}
    conn, dropped = proxy("/import/predictions")
    pushed = push_predictions(conn, TAX, title, sentences, predictions, "test@1", batch_size=10)
    assert len(dropped) == 1
    assert pushed.added == 30
    per_task = Counter(p.task for p in admin.sdk.predictions.list(project=summary.project_id))
    assert len(per_task) == 30 and set(per_task.values()) == {1}
