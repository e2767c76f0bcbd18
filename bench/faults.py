"""Faults against a real Label Studio: `propa` commands cut off at random points, then rerun.

    python bench/faults.py [--sentences 5000] [--rounds 5] [--seed 13] [--annotated 300]
                           [--only push,prediction-push,pull,preannotate,two-pushes]

Starts its own server in a temporary folder (restarted on the same data after every kill),
makes a corpus of --sentences sentences (the sample articles' paragraphs cycled under new
article ids, `propa ingest`, the first N sentences kept) and a TF-IDF model (`propa train`
on the gold set), then replays --rounds rounds of each case, every command a real `propa`
process that finds the server through PROPA_HOME:

- push: `propa push` of the corpus into a new project, the server SIGKILLed (its whole
  process group) during the push, restarted, the push rerun. Counted: one project of that
  title, every sentence of the corpus exactly one task.
- prediction-push: `propa preannotate --no-sources --push` with the predictions file
  already written (so the time is the push's), the server killed during the push,
  restarted, the command rerun. Odd rounds push into a new project (tasks imported with
  their prediction), even rounds add predictions to a project holding every sentence's
  task. Counted: every task exactly one prediction, all of the model's version, every
  sentence one task, the project's model_version set.
- pull: `propa pull` of a project with --annotated annotated tasks into the folder of an
  earlier pull, the server killed during it: the command fails with one line and leaves
  the earlier files byte for byte; restarted and rerun: annotations.jsonl byte-identical to
  that of the same command run uninterrupted from a copy of the folder just before. Odd
  rounds pull with --full (Label Studio's export snapshot), even rounds incrementally
  (the tasks updated since the last pull, after 10 more tasks are annotated); an even
  round also checks that the incremental pull's rows equal a full pull's. The export
  snapshots left on the server are counted: a pull cut off by a dead server cannot delete
  its own, a pull 30 minutes later does (by design); a rerun must leave none.
- preannotate: `propa preannotate --no-sources` (no server) SIGKILLed itself, rerun: every
  sentence exactly once in the output, each line equal to that of an uninterrupted run.
- two-pushes: two `propa push` processes of the corpus to a new title, released together
  (the second 0-0.5 s later), from one machine (odd rounds: one state folder, they take
  turns on its lock) or as from two (even rounds: URL and key from the environment, no
  shared lock: the project race and the duplicate check). Counted: one project of that
  title, every sentence exactly one task, both commands exit 0.

A kill lands at a uniformly random time (seeded by --seed) in the phase that matters:
from the command's first answered request to its last (read from the server's log), or
from the "pre-annotated" line for prediction-push, or from its start for preannotate; an
uninterrupted run of the same command measures that phase first. In odd push and
prediction-push rounds, and in every pull round, the server stays down until the killed
command has exited; in the other rounds it is restarted at once, as a supervisor would,
and the killed command may go on with it (its retries) before the rerun.

Prints a line per round, a summary line per case (e.g. "push killed x5: sentences 5000,
each exactly once in 5/5 rounds (kill after 0.4-2.1 s, rerun imported 1200-3800)"), the
server's start times and PASS or FAIL; the exit status is 1 on FAIL. The default run took
10 minutes on 2 cores (the server's first start 31 s, each restart 3.5-6 s; a push killed while
the server stays down gives up after about 27 s of retries).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotate.studio.client import EXPORT_TITLE, LabelStudioClient  # noqa: E402
from annotate.studio.push import push  # noqa: E402
from annotate.studio.server import (  # noqa: E402
    _alive, _group_alive, _signal_group, port_is_free, server_status, start_server, stop_server,
)
from annotate.studio.settings import Connection, config_path, read_config  # noqa: E402
from annotate.taxonomy import load_taxonomy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CASES = ("push", "prediction-push", "pull", "preannotate", "two-pushes")
COMMAND_TIMEOUT = 600.0
PULL_CHANGES = 10  # tasks annotated before each incremental pull round
SERVER_PHASE = "server"  # a phase from the first request the server answers to the last
# A `propa` command that has imported what it needs, then waits for its go file.
WAIT_THEN_RUN = """
import sys, time
from pathlib import Path
from annotate.cli import main
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.002)
sys.argv = ["propa", *sys.argv[2:]]
main()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spread(values: list[float], unit: str = "", digits: int = 1) -> str:
    """ "low-high unit" ("x unit" when equal, "-" when empty)."""
    if not values:
        return "-"
    low, high = f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"
    return f"{low}{unit}" if low == high else f"{low}-{high}{unit}"


def propa(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "annotate.cli", *args]


# -- the server ----------------------------------------------------------------------------

class Server:
    """The bench's own Label Studio: started, SIGKILLed as a crash would, restarted on its data."""

    def __init__(self, state: Path, port: int) -> None:
        self.state, self.port = state, port
        self.pid: int | None = None
        self.restarts: list[float] = []
        self.log = state / "label-studio.log"

    def start(self) -> float:
        started = time.perf_counter()
        start_server(self.state, port=self.port, install=False, echo=lambda message: None)
        self.pid = server_status(self.state).pid
        return time.perf_counter() - started

    def restart(self) -> None:
        self.restarts.append(self.start())

    def kill(self) -> None:
        """SIGKILL the server's whole process group; wait until none of it is left and its port is free."""
        pid = self.pid
        assert pid is not None
        _signal_group(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while (_alive(pid) or _group_alive(pid)) and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            os.waitpid(pid, 0)  # started from this process: reap it
        except ChildProcessError:
            pass
        self.pid = None
        # the kernel frees the listening socket a moment after the process is gone
        while not port_is_free("127.0.0.1", self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        stop_server(self.state)

    @property
    def conn(self) -> Connection:
        config = read_config(config_path(self.state))
        return Connection(config["url"], config["api_key"])

    def env(self) -> dict[str, str]:
        """The environment of a `propa` command that finds this server through its state folder."""
        env = {k: v for k, v in os.environ.items() if k not in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")}
        env.update({"PROPA_HOME": str(self.state), "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1",
                    "PYTHONPATH": str(ROOT)})
        return env


class LogWatch:
    """The API requests the server answers while a command runs, read from its log as it grows
    (a request is logged once answered): when the first and the last came, in seconds from
    the command's start, and how many came after the kill."""

    def __init__(self, log: Path, started: float) -> None:
        self.log, self.started = log, started
        self.offset = log.stat().st_size if log.exists() else 0
        self.first: float | None = None
        self.last: float | None = None
        self.after_kill: int | None = None  # None until the kill

    def poll(self) -> None:
        if not self.log.exists():
            return
        with self.log.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        data = data[: data.rfind(b"\n") + 1]
        self.offset += len(data)
        requests = data.count(b" /api/")
        if requests:
            now = time.monotonic() - self.started
            self.first = now if self.first is None else self.first
            self.last = now
            if self.after_kill is not None:
                self.after_kill += requests


# -- running commands ----------------------------------------------------------------------

@dataclass
class Run:
    returncode: int
    seconds: float
    stdout: str
    stderr: str
    phase: float | None = None  # seconds from the start when the watched phase began
    killed: float | None = None  # seconds from the start when the kill went out (None: it ended first)
    last_request: float | None = None  # when the server answered the command's last request
    requests_after_kill: int = 0  # requests the (restarted) server answered after the kill

    @property
    def window(self) -> float:
        """The length of the phase a kill should land in: to the last request, or to the end."""
        begin = self.phase or 0.0
        end = self.last_request if self.last_request is not None and self.last_request > begin else self.seconds
        return end - begin

    def lines(self) -> list[str]:
        return [line for line in (self.stdout + self.stderr).splitlines() if line.strip()]


def run(command: list[str], env: dict[str, str], phase: str | None = None, log: Path | None = None,
        kill_after: float | None = None, kill: Callable[[subprocess.Popen], None] | None = None) -> Run:
    """Run a command to its end. ``phase``: None (from the start), SERVER_PHASE (from the first
    request in the server's ``log``) or a text its stdout prints; with ``kill``, call it
    ``kill_after`` seconds into that phase."""
    started = time.monotonic()
    watch = LogWatch(log, started) if log is not None else None
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: list[str] = []
    err: list[str] = []
    readers = [threading.Thread(target=lambda s=stream, d=dest: d.extend(s), daemon=True)
               for stream, dest in ((process.stdout, out), (process.stderr, err))]
    for reader in readers:
        reader.start()
    marker = killed = None
    while process.poll() is None:
        elapsed = time.monotonic() - started
        if elapsed > COMMAND_TIMEOUT:
            process.kill()
            raise SystemExit(f"{' '.join(command[3:6])} ran past {COMMAND_TIMEOUT:.0f} s")
        if watch is not None:
            watch.poll()
        if marker is None:
            if phase is None:
                marker = 0.0
            elif phase == SERVER_PHASE:
                marker = watch.first if watch is not None else None
            elif any(phase in line for line in out):
                marker = elapsed
        if kill is not None and killed is None and marker is not None and elapsed >= marker + (kill_after or 0.0):
            killed = elapsed
            kill(process)
            if watch is not None:
                watch.after_kill = 0
        time.sleep(0.01)
    seconds = time.monotonic() - started
    for reader in readers:
        reader.join()
    if watch is not None:
        watch.poll()
    return Run(process.returncode, seconds, "".join(out), "".join(err), marker, killed,
               watch.last if watch is not None else None, (watch.after_kill or 0) if watch is not None else 0)


def check_ok(result: Run, what: str) -> None:
    if result.returncode != 0:
        raise SystemExit(f"{what} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")


def summary_line(stdout: str) -> str:
    """A command's report on one line, its URL lines left out."""
    return " ".join(line for line in stdout.splitlines() if not line.startswith(("annotate at", "review at")))


# -- counting --------------------------------------------------------------------------------

def sentence_ids(corpus: Path) -> list[str]:
    with corpus.open(encoding="utf-8") as handle:
        return [json.loads(line)["id"] for line in handle if line.strip()]


def each_sentence_once(client: LabelStudioClient, title: str, ids: list[str]) -> tuple[bool, str, int | None]:
    """One project of that title, every sentence exactly one task: (ok, what is wrong, project id)."""
    projects = client.projects_titled(title)
    if not projects:
        return False, "no project", None
    project_id = projects[0].id
    counts = Counter({s: len(tasks) for s, tasks in client.tasks_by_sentence(project_id).items()})
    problems = []
    if len(projects) != 1:
        problems.append(f"{len(projects)} projects titled {title!r}")
    missing = len(set(ids) - set(counts))
    extra = len(set(counts) - set(ids))
    twice = sum(1 for n in counts.values() if n > 1)
    if missing or extra or twice:
        problems.append(f"{missing} sentences missing, {twice} more than once, {extra} not in the corpus")
    return not problems, "; ".join(problems), project_id


def rows_by_id(path: Path) -> dict[str, dict]:
    with path.open(encoding="utf-8") as handle:
        return {row["id"]: row for row in map(json.loads, handle) if row}


def row_differences(expected: Path, got: Path) -> tuple[int, list[str]]:
    """How many sentence ids differ between two annotations.jsonl, and the fields that do
    (``annotations.X`` for a field inside an annotation)."""
    a, b = rows_by_id(expected), rows_by_id(got)
    differ = [s for s in set(a) | set(b) if a.get(s) != b.get(s)]
    fields: set[str] = set()
    for s in differ[:50]:
        x, y = a.get(s) or {}, b.get(s) or {}
        for key in set(x) | set(y):
            if x.get(key) == y.get(key):
                continue
            if key == "annotations" and len(x.get(key) or []) == len(y.get(key) or []):
                for p, q in zip(x[key], y[key]):
                    fields.update(f"annotations.{k}" for k in set(p) | set(q) if p.get(k) != q.get(k))
            else:
                fields.add(key)
    return len(differ), sorted(fields)


def folder_bytes(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@dataclass
class Case:
    name: str
    rounds: int = 0
    ok: int = 0
    kills: list[float] = field(default_factory=list)
    missed: int = 0  # kills that came after the command had done its work
    recovered: int = 0  # killed commands that went on with the restarted server
    failed: int = 0  # killed commands that exited with an error

    def record(self, number: int, ok: bool, detail: str) -> None:
        self.rounds += 1
        self.ok += ok
        print(f"  {self.name} round {number}: {'ok' if ok else 'WRONG'}: {detail}", flush=True)

    def kill_text(self, result: Run) -> str:
        """What the kill hit."""
        if result.killed is None:
            self.missed += 1
            return f"the command ended first ({result.seconds:.1f} s, exit {result.returncode})"
        self.kills.append(result.killed)
        text = f"killed after {result.killed:.2f} s ({result.killed - (result.phase or 0.0):.2f} s into the phase)"
        later = result.seconds - result.killed
        if result.returncode == -signal.SIGKILL:
            return text
        if result.returncode != 0:
            self.failed += 1
            lines = result.lines()
            return f"{text}, the command failed {later:.1f} s later ({lines[-1][:150] if lines else 'no message'})"
        if result.requests_after_kill:
            self.recovered += 1
            return (f"{text}, the command went on with the restarted server ({result.requests_after_kill} "
                    f"requests) and ended well {later:.1f} s later")
        self.missed += 1
        return f"{text}, after the command's last request: it ended well {later:.1f} s later"

    def kills_text(self) -> str:
        parts = [f"kill after {spread(self.kills, ' s')}"]
        if self.failed:
            parts.append(f"{self.failed} killed commands failed")
        if self.recovered:
            parts.append(f"{self.recovered} went on once the server was back")
        if self.missed:
            parts.append(f"{self.missed} kills after the command's work")
        return ", ".join(parts)


# -- the bench ------------------------------------------------------------------------------

class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, server: Server) -> None:
        self.args, self.work, self.server = args, work, server
        self.random = random.Random(args.seed)
        self.taxonomy = load_taxonomy()
        self.corpus = work / "sentences.jsonl"
        self.ids: list[str] = []
        self.model: Path | None = None
        self.predictions: Path | None = None  # an uninterrupted preannotate's output
        self.model_version = ""
        self.push_projects: dict[int, str] = {}  # round -> title of a project holding each sentence once
        self.reference_project: str | None = None  # pushed uninterrupted: each sentence once
        self.extra_checks: list[str] = []  # wrong results that are not about a kill

    @property
    def client(self) -> LabelStudioClient:
        return LabelStudioClient(self.server.conn)

    def kill_server(self, process: subprocess.Popen) -> None:
        """The server stays down until the command has exited (then :meth:`restart_if_killed`)."""
        self.server.kill()

    def kill_and_restart(self, process: subprocess.Popen) -> None:
        """The server restarted at once, as a supervisor would, while the command still runs."""
        self.server.kill()
        self.server.restart()

    def killer(self, at_once: bool) -> Callable[[subprocess.Popen], None]:
        return self.kill_and_restart if at_once else self.kill_server

    @staticmethod
    def restart_text(at_once: bool) -> str:
        return "server restarted at once" if at_once else "server restarted after the command exited"

    def restart_if_killed(self) -> None:
        if self.server.pid is None:
            self.server.restart()

    def delay(self, window: float) -> float:
        return self.random.uniform(0.0, max(window, 0.05))

    def kill_then_rerun(self, case: "Case", number: int, command: list[str], env: dict, phase: str,
                        window: float, at_once: bool, where: str = "") -> tuple[str, object | None]:
        """Run ``command``, SIGKILL the server at a random point of its ``phase``, restart it
        (at once, or after the command gave up), rerun the command: (what happened, the rerun),
        the rerun None, and the round recorded as failed, when the rerun failed."""
        killed = run(command, env, phase, self.server.log, self.delay(window), self.killer(at_once))
        what = f"{where}{self.restart_text(at_once)}; {case.kill_text(killed)}"
        self.restart_if_killed()
        rerun = run(command, env)
        if rerun.returncode != 0:
            case.record(number, False, f"{what}; the rerun failed: {rerun.stderr.strip()[-500:]}")
            return what, None
        return what, rerun

    # -- setup ---------------------------------------------------------------------------

    def make_corpus(self) -> None:
        """Articles made by cycling the sample articles under new ids, ingested, N sentences kept."""
        from annotate.text.articles import read_articles
        from annotate.text.corpus import split_article

        articles = list(read_articles([ROOT / "corpus" / "samples"]))
        path = self.work / "articles.jsonl"
        written, cycle = 0, 0
        with path.open("w", encoding="utf-8") as handle:
            while written < self.args.sentences:
                for article in articles:
                    record = {"id": f"{article.id}-{cycle:05d}", "title": article.title, "text": article.text}
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                    written += sum(1 for _ in split_article(article))
                    if written >= self.args.sentences:
                        break
                cycle += 1
        everything = self.work / "all-sentences.jsonl"
        check_ok(run(propa(["ingest", str(path), "-o", str(everything)]), self.server.env()), "propa ingest")
        with everything.open(encoding="utf-8") as source, self.corpus.open("w", encoding="utf-8") as target:
            for number, line in enumerate(source):
                if number >= self.args.sentences:
                    break
                target.write(line)
        self.ids = sentence_ids(self.corpus)
        assert len(self.ids) == len(set(self.ids)) == self.args.sentences, len(self.ids)

    def train_model(self) -> None:
        env = self.server.env()
        data = self.work / "data"
        started = time.perf_counter()
        for args in (["data", "from-jsonl", str(ROOT / "corpus" / "gold" / "gold_fr.jsonl"), "-o", str(data / "gold")],
                     ["data", "split", str(data / "gold"), "-o", str(data / "split"), "--dev", "0.2", "--test", "0.2"],
                     ["train", "-c", str(ROOT / "configs" / "train" / "tfidf.yaml"), "--data", str(data / "split"),
                      "-o", str(self.work / "model"), "--overwrite"]):
            check_ok(run(propa(args), env), f"propa {' '.join(args[:2])}")
        self.model = self.work / "model"
        print(f"TF-IDF model trained in {time.perf_counter() - started:.1f} s", flush=True)

    def preannotate_args(self, out: Path) -> list[str]:
        assert self.model is not None
        return ["preannotate", str(self.corpus), "-m", str(self.model), "-o", str(out), "--no-sources"]

    def uninterrupted_predictions(self, out: Path) -> Run:
        if self.model is None:
            self.train_model()
        out.parent.mkdir(parents=True, exist_ok=True)
        result = run(propa(self.preannotate_args(out)), self.server.env())
        check_ok(result, "propa preannotate")
        with out.open(encoding="utf-8") as handle:
            self.model_version = json.loads(handle.readline())["model_version"]
        self.predictions = out
        return result

    def project_with_tasks(self, number: int) -> str:
        """The title of a project holding every sentence once: the push case's, or pushed now."""
        if number in self.push_projects:
            return self.push_projects[number]
        title = f"faults tasks {number}"
        push(self.corpus, self.server.conn, self.taxonomy, title, progress=False)
        self.push_projects[number] = title
        return title

    # -- 1. push -----------------------------------------------------------------------------

    def case_push(self) -> Case:
        case = Case("push")
        env = self.server.env()
        title = "faults push reference"
        reference = run(propa(["push", str(self.corpus), "--project", title]), env, SERVER_PHASE, self.server.log)
        check_ok(reference, "uninterrupted propa push")
        ok, wrong, _ = each_sentence_once(self.client, title, self.ids)
        assert ok, f"an uninterrupted push: {wrong}"
        self.reference_project = title
        print(f"uninterrupted push of {len(self.ids)} sentences: {reference.seconds:.1f} s, requests answered "
              f"over {reference.window:.1f} s", flush=True)
        imported: list[float] = []
        for number in range(1, self.args.rounds + 1):
            title = f"faults push {number}"
            command = propa(["push", str(self.corpus), "--project", title])
            what, rerun = self.kill_then_rerun(case, number, command, env, SERVER_PHASE, reference.window,
                                               at_once=number % 2 == 0)
            if rerun is None:
                continue
            summary = summary_line(rerun.stdout)
            counted = re.search(r"\): (\d+) tasks imported", summary)
            imported.append(float(counted[1]) if counted else 0.0)
            ok, wrong, _ = each_sentence_once(self.client, title, self.ids)
            if ok:
                self.push_projects[number] = title
            case.record(number, ok, f"{what}; rerun: {summary}" + (f"; {wrong}" if wrong else ""))
        print(f"push killed x{case.rounds}: sentences {len(self.ids)}, each exactly once in {case.ok}/{case.rounds} "
              f"rounds ({case.kills_text()}; rerun imported {spread(imported, digits=0)})", flush=True)
        return case

    # -- 2. prediction push ------------------------------------------------------------------

    def prediction_counts(self, title: str) -> tuple[bool, str]:
        client = self.client
        ok, wrong, project_id = each_sentence_once(client, title, self.ids)
        if project_id is None:
            return False, wrong
        tasks = set(client.task_ids_by_sentence(project_id).values())
        predictions = list(client.sdk.predictions.list(project=project_id))
        per_task = Counter(p.task for p in predictions)
        versions = Counter(p.model_version for p in predictions)
        problems = [wrong] if wrong else []
        without = len(tasks - set(per_task))
        several = sum(1 for n in per_task.values() if n > 1)
        if without or several:
            problems.append(f"{without} tasks without a prediction, {several} with more than one")
        if set(versions) != {self.model_version}:
            problems.append(f"model versions {dict(versions)}")
        project_version = client.get_project(project_id).model_version
        if project_version != self.model_version:
            problems.append(f"project model_version {project_version!r}")
        return not problems, "; ".join(problems)

    def prediction_push(self, out: Path, title: str) -> list[str]:
        """`propa preannotate --push` with the predictions file already written: the time is the push's."""
        assert self.predictions is not None
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.predictions, out)
        return propa([*self.preannotate_args(out), "--push", "--project", title])

    def case_prediction_push(self) -> Case:
        case = Case("prediction-push")
        folder = self.work / "prediction-push"
        made = self.uninterrupted_predictions(folder / "predictions.jsonl")
        print(f"uninterrupted preannotate of {len(self.ids)} sentences: {made.seconds:.1f} s, model_version "
              f"{self.model_version}", flush=True)
        env = self.server.env()
        windows = {}
        for onto_tasks, title in ((True, self.reference_project or self.project_with_tasks(0)),
                                  (False, "faults predictions reference")):
            reference = run(self.prediction_push(folder / f"reference-{onto_tasks}.jsonl", title), env,
                            "pre-annotated", self.server.log)
            check_ok(reference, "uninterrupted propa preannotate --push")
            ok, wrong = self.prediction_counts(title)
            assert ok, f"an uninterrupted prediction push: {wrong}"
            windows[onto_tasks] = reference.window
            print(f"uninterrupted prediction push of {len(self.ids)} sentences "
                  f"{'onto their tasks' if onto_tasks else 'into a new project'}: {reference.seconds:.1f} s, "
                  f"{reference.window:.1f} s of it pushing", flush=True)
        added: list[float] = []
        for number in range(1, self.args.rounds + 1):
            onto_tasks = number % 2 == 0
            at_once = number % 4 in (2, 3)
            title = self.project_with_tasks(number) if onto_tasks else f"faults predictions {number}"
            command = self.prediction_push(folder / f"round-{number}.jsonl", title)
            where = "onto existing tasks; " if onto_tasks else "into a new project; "
            what, rerun = self.kill_then_rerun(case, number, command, env, "pre-annotated", windows[onto_tasks],
                                               at_once, where)
            if rerun is None:
                continue
            summary = next((line for line in rerun.stdout.splitlines() if line.startswith("project ")), "")
            counted = re.search(r"(\d+) predictions added, (\d+) tasks already .*, (\d+) new tasks", summary)
            if counted:
                added.append(float(int(counted[1]) + int(counted[3])))
            ok, wrong = self.prediction_counts(title)
            case.record(number, ok, f"{what}; rerun: {summary}" + (f"; {wrong}" if wrong else ""))
        print(f"pre-annotation push killed x{case.rounds}: tasks {len(self.ids)}, each with exactly one prediction "
              f"of {self.model_version} in {case.ok}/{case.rounds} rounds ({case.kills_text()}; rerun added "
              f"{spread(added, digits=0)})", flush=True)
        return case

    # -- 3. pull -----------------------------------------------------------------------------

    def annotate(self, project_id: int, tasks: list[int]) -> None:
        """Annotate these tasks through the API, as an annotator would."""
        client = self.client
        labels = (("technique_sourcing", "vague_sourcing"), ("technique_sourcing", "speculative_link"),
                  ("technique_manipulative_wording", "Loaded_Language"))
        for number, task_id in enumerate(tasks):
            from_name, label = labels[number % len(labels)]
            client.create_annotation(task_id, [{"from_name": from_name, "to_name": "sentence", "type": "choices",
                                                "value": {"choices": [label]}}], lead_time=1.0 + number % 7)

    def case_pull(self) -> Case:
        case = Case("pull")
        env = self.server.env()
        title = self.reference_project or self.project_with_tasks(0)
        client = self.client
        project_id = client.projects_titled(title)[0].id
        unannotated = sorted(client.task_ids_by_sentence(project_id).values())
        self.random.shuffle(unannotated)
        started = time.perf_counter()
        self.annotate(project_id, [unannotated.pop() for _ in range(min(self.args.annotated, len(unannotated)))])
        print(f"{self.args.annotated} tasks annotated through the API in {time.perf_counter() - started:.1f} s",
              flush=True)
        incremental_exists = "--full" in run(propa(["pull", "--help"]), env).stdout
        out = self.work / "pulled"
        first = run(pull_command(project_id, out, []), env, SERVER_PHASE, self.server.log)
        check_ok(first, "uninterrupted propa pull")
        rows = (out / "annotations.jsonl").read_bytes().count(b"\n")
        print(f"uninterrupted pull of {rows} annotated rows: {first.seconds:.1f} s, requests answered over "
              f"{first.window:.1f} s", flush=True)
        failed_cleanly = left_by_killed = 0
        modes: list[bool] = []
        for number in range(1, self.args.rounds + 1):
            incremental = incremental_exists and number % 2 == 0
            if incremental:  # something for it to fetch
                self.annotate(project_id, [unannotated.pop() for _ in range(min(PULL_CHANGES, len(unannotated)))])
            mode = "incremental" if incremental else "full"
            flags = ["--full"] if incremental_exists and not incremental else []

            # the same command run uninterrupted from a copy of the folder: what the rerun must give
            twin = self.work / f"pull-twin-{number}"
            shutil.copytree(out, twin)
            expected = run(pull_command(project_id, twin, flags), env, SERVER_PHASE, self.server.log)
            check_ok(expected, f"uninterrupted {mode} propa pull")
            before = folder_bytes(out)
            killed = run(pull_command(project_id, out, flags), env, SERVER_PHASE, self.server.log,
                         self.delay(expected.window), self.kill_server)
            what = f"{mode}; {case.kill_text(killed)}"
            problems = []
            if killed.returncode != 0:
                after = folder_bytes(out)
                changed = sorted(str(p.relative_to(out)) for p in set(before) | set(after)
                                 if before.get(p) != after.get(p))
                lines = killed.lines()
                if len(lines) != 1:
                    problems.append(f"the killed pull printed {len(lines)} lines: {lines[:4]}")
                if changed:
                    problems.append(f"the killed pull changed {changed[:5]}")
                failed_cleanly += not problems
            self.restart_if_killed()
            rerun_started = datetime.now(timezone.utc)
            rerun = run(pull_command(project_id, out, flags), env)
            if rerun.returncode != 0:
                problems.append(f"the rerun failed: {rerun.stderr.strip()[-500:]}")
            else:
                differ, fields = row_differences(twin / "annotations.jsonl", out / "annotations.jsonl")
                if differ:
                    problems.append(f"the rerun's annotations.jsonl differs from an uninterrupted pull's on {differ} "
                                    f"sentences ({', '.join(fields)})")
            ours = [e for e in self.client.list_exports(project_id) if (e.title or "").startswith(EXPORT_TITLE)]
            by_rerun = [e for e in ours if e.created_at is not None and e.created_at >= rerun_started]
            if by_rerun:
                problems.append(f"the rerun left {len(by_rerun)} export snapshots")
            left_by_killed = len(ours) - len(by_rerun)
            if incremental:  # the incremental pull must give what a full one gives
                full = self.work / f"pull-full-{number}"
                check_ok(run(pull_command(project_id, full, ["--full"]), env),
                         "propa pull --full")
                differ, fields = row_differences(full / "annotations.jsonl", twin / "annotations.jsonl")
                modes.append(not differ)
                if differ:
                    what += (f"; NOTE an uninterrupted incremental pull differs from a full pull on {differ} "
                             f"sentences ({', '.join(fields)})")
            case.record(number, not problems, f"{what}; rerun: {summary_line(rerun.stdout)}; export snapshots of "
                        f"ours on the server: {len(ours)}" + (f"; {'; '.join(problems)}" if problems else ""))
        killed_runs = case.failed + case.recovered
        print(f"pull killed x{case.rounds}: {rows}+ annotated rows; the killed pull failed with one line and left the "
              f"earlier output byte for byte in {failed_cleanly}/{killed_runs}, the rerun equal to an uninterrupted "
              f"pull in {case.ok}/{case.rounds} rounds ({case.kills_text()}; export snapshots left by killed pulls: "
              f"{left_by_killed}, by the reruns: 0)", flush=True)
        if modes:
            print(f"incremental pull equal to a full pull in {sum(modes)}/{len(modes)} rounds", flush=True)
            if not all(modes):
                self.extra_checks.append(f"incremental pull != full pull in {len(modes) - sum(modes)}/{len(modes)}")
        return case

    # -- 4. preannotate ------------------------------------------------------------------------

    def case_preannotate(self) -> Case:
        case = Case("preannotate")
        env = self.server.env()
        folder = self.work / "preannotate"
        # made now, with the code of now: each round is compared with it
        reference = self.uninterrupted_predictions(folder / "uninterrupted.jsonl")
        expected = prediction_lines(folder / "uninterrupted.jsonl")[0]
        print(f"uninterrupted preannotate of {len(self.ids)} sentences: {reference.seconds:.1f} s", flush=True)
        kept: list[float] = []
        torn = 0
        for number in range(1, self.args.rounds + 1):
            out = folder / f"round-{number}.jsonl"
            command = propa(self.preannotate_args(out))
            killed = run(command, env, None, None, self.delay(reference.seconds), lambda process: process.kill())
            what = case.kill_text(killed)
            data = out.read_bytes() if out.exists() else b""
            kept.append(float(data.count(b"\n")))
            torn_now = bool(data) and not data.endswith(b"\n")
            torn += torn_now
            rerun = run(command, env)
            problems = []
            if rerun.returncode != 0:
                problems.append(f"the rerun failed: {rerun.stderr.strip()[-500:]}")
            lines, counts = prediction_lines(out)
            twice = sum(1 for n in counts.values() if n > 1)
            missing = len(set(expected) - set(lines))
            differ = sum(1 for s, line in lines.items() if expected.get(s) != line)
            if twice or missing or differ:
                problems.append(f"{missing} sentences missing, {twice} more than once, {differ} lines differ")
            found = re.search(r"(\d+) sentences pre-annotated .*?(\d+) already in", rerun.stdout)
            did = f"{found[1]} sentences written, {found[2]} already there" if found else rerun.stdout.strip()[:160]
            case.record(number, not problems, f"{what}; {kept[-1]:.0f} lines kept"
                        f"{' and a torn last line' if torn_now else ''}; rerun: {did}"
                        + (f"; {'; '.join(problems)}" if problems else ""))
        print(f"preannotate killed x{case.rounds}: sentences {len(self.ids)}, each exactly once and equal to an "
              f"uninterrupted run in {case.ok}/{case.rounds} rounds ({case.kills_text()} of {reference.seconds:.1f} s; "
              f"lines written before the kill {spread(kept, digits=0)}, torn last line {torn} times)", flush=True)
        return case

    # -- 5. two pushes at once -----------------------------------------------------------------

    def case_two_pushes(self) -> Case:
        case = Case("two-pushes")
        removed: list[float] = []
        machines: Counter = Counter()
        for number in range(1, self.args.rounds + 1):
            two_machines = number % 2 == 0
            title = f"faults two pushes {number}"
            envs = [self.server.env(), self.server.env()]
            if two_machines:  # URL and key from the environment, no state folder: no shared lock
                conn = self.server.conn
                for name, env in zip("ab", envs):
                    env.update({"PROPA_HOME": str(self.work / f"machine-{name}-{number}"),
                                "LABEL_STUDIO_URL": conn.url, "LABEL_STUDIO_API_KEY": conn.api_key})
            go = [self.work / f"go-{number}-{name}" for name in "ab"]
            processes = [subprocess.Popen([sys.executable, "-c", WAIT_THEN_RUN, str(flag), "push", str(self.corpus),
                                           "--project", title], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True) for flag, env in zip(go, envs)]
            time.sleep(1.0)  # both have started and wait
            lag = self.random.uniform(0.0, 0.5)
            go[0].write_text("go")
            time.sleep(lag)
            go[1].write_text("go")
            outputs = [process.communicate(timeout=COMMAND_TIMEOUT) for process in processes]
            problems = [f"push {i + 1} failed (exit {p.returncode}): {err.strip()[-300:]}"
                        for i, (p, (_, err)) in enumerate(zip(processes, outputs)) if p.returncode != 0]
            ok, wrong, _ = each_sentence_once(self.client, title, self.ids)
            if wrong:
                problems.append(wrong)
            summaries = [summary_line(out) for out, _ in outputs]
            removed.append(float(sum(int(line.split()[1]) for out, _ in outputs for line in out.splitlines()
                                     if line.startswith("duplicates: "))))
            where = "two machines (no shared lock)" if two_machines else "one machine (shared lock)"
            machines[where] += not problems
            case.record(number, not problems, f"{where}, second released {lag:.2f} s later; "
                        + " | ".join(summaries) + (f"; {'; '.join(problems)}" if problems else ""))
        print(f"two pushes at once x{case.rounds}: sentences {len(self.ids)}, one project and each sentence once in "
              f"{case.ok}/{case.rounds} rounds (one machine: {machines['one machine (shared lock)']} ok, two machines: "
              f"{machines['two machines (no shared lock)']} ok; duplicates removed {spread(removed, digits=0)})",
              flush=True)
        return case


def pull_command(project_id: int, out: Path, flags: list[str]) -> list[str]:
    return propa(["pull", "--project", str(project_id), "-o", str(out), *flags])


def prediction_lines(path: Path) -> tuple[dict[str, dict], Counter]:
    """A preannotate output: sentence id -> its prediction, and how many lines each id has."""
    lines: dict[str, dict] = {}
    counts: Counter = Counter()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                counts[record["sentence_id"]] += 1
                lines[record["sentence_id"]] = record
    return lines, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=5000, help="sentences in the corpus")
    parser.add_argument("--rounds", type=int, default=5, help="kills (or concurrent pushes) per case")
    parser.add_argument("--seed", type=int, default=13, help="seeds the kill times and the annotated tasks")
    parser.add_argument("--annotated", type=int, default=300, help="tasks annotated for the pull case")
    parser.add_argument("--only", default=",".join(CASES), help=f"comma-separated cases among {', '.join(CASES)}")
    args = parser.parse_args()
    cases = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        parser.error(f"unknown cases {', '.join(unknown)}; choose among {', '.join(CASES)}")

    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="propa-faults-") as tmp:
        work = Path(tmp)
        server = Server(work / "state", free_port())
        first = server.start()
        print(f"server started in {first:.1f} s", flush=True)
        try:
            bench = Bench(args, work, server)
            bench.make_corpus()
            print(f"corpus: {len(bench.ids)} sentences", flush=True)
            results = [getattr(bench, f"case_{name.replace('-', '_')}")() for name in CASES if name in cases]
        finally:
            server.stop()
    restarts = f", restarted {len(server.restarts)} times in {spread(server.restarts, ' s')}" if server.restarts else ""
    print(f"server first start {first:.1f} s{restarts}; whole run {time.perf_counter() - began:.0f} s")
    wrong = [f"{case.name} {case.rounds - case.ok}/{case.rounds}" for case in results if case.ok != case.rounds]
    wrong += bench.extra_checks
    print(f"FAIL: {'; '.join(wrong)}" if wrong else "PASS")
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
