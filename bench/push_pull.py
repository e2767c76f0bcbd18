"""Push and pull throughput against a real local Label Studio server.

    python bench/push_pull.py [--n 10000] [--baseline 200]

Starts a fresh server in a temporary folder, then measures in the same run:

- baseline: creating tasks one API call at a time (how a naive script does it);
- push: ``push_sentences`` of N sentences, each with a prediction, into a new project;
- re-push: the same corpus again (every id already there: nothing may be imported);
- pull: ``pull`` of N annotated tasks (annotations created by a bulk import beforehand,
  not timed) to JSONL and a DatasetDict;
- repeat pull: after --changed of those tasks changed (a third of them re-annotated, a
  third with their annotation edited, a third with it deleted), ``pull`` again into the
  same folder (incremental: only the updated tasks), compared row by row with a full
  pull into another folder, which is timed too.

Targets on a 2-core machine: push of 10,000 under 30 s, pull under 20 s, a repeat pull
after 100 changes under 3 s, nothing lost.
"""

from __future__ import annotations

import argparse
import socket
from datetime import datetime, timezone
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotate.text.corpus import Sentence, read_corpus  # noqa: E402
from annotate.studio.client import LabelStudioClient, batched, updated_since_query  # noqa: E402
from annotate.studio.pull import pull  # noqa: E402
from annotate.studio.push import open_project, push_sentences  # noqa: E402
from annotate.studio.server import start_server, stop_server  # noqa: E402
from annotate.studio.settings import Connection, config_path, read_config  # noqa: E402
from annotate.taxonomy import load_taxonomy  # noqa: E402
from annotate.studio.tasks import sentence_to_task  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def synthetic_sentences(n: int, sample_corpus: Path) -> list[Sentence]:
    """N distinct sentences of realistic length, made from the sample corpus."""
    pool = list(read_corpus(sample_corpus))
    sentences = []
    for i in range(n):
        base = pool[i % len(pool)]
        article = f"bench-{i // 40:05d}"
        start = (i % 40) * 400
        sentences.append(Sentence(id=f"{article}:{start}-{start + len(base.text)}", article_id=article,
                                  paragraph_index=1 + (i % 40) // 4, start=start, end=start + len(base.text),
                                  text=base.text, paragraph=base.paragraph, title=base.title, outlet="Banc d'essai"))
    return sentences


def prediction(sentence: Sentence) -> list[dict]:
    label = ("vague_sourcing", "speculative_link", "Loaded_Language")[len(sentence.text) % 3]
    return [{"model_version": "bench-v1", "score": 0.5,
             "result": [{"from_name": "technique_sourcing" if label != "Loaded_Language"
                         else "technique_manipulative_wording",
                         "to_name": "sentence", "type": "choices", "value": {"choices": [label]}}]}]


def wait_settled(client: LabelStudioClient, project_id: int, quiet: float = 5.0, limit: float = 300.0) -> float:
    """Seconds until no task of the project has been updated for ``quiet`` seconds."""
    import itertools
    from datetime import timedelta

    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        query = updated_since_query(client.server_time() - timedelta(seconds=quiet))
        recent = list(itertools.islice(client.sdk.tasks.list(project=project_id, query=query,
                                                             fields="task_only", page_size=1), 1))
        if not recent:
            return time.perf_counter() - started
        time.sleep(1.0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="sentences pushed and annotated tasks pulled")
    parser.add_argument("--changed", type=int, default=100, help="tasks changed before the repeat pull")
    parser.add_argument("--baseline", type=int, default=200, help="tasks created one call at a time")
    args = parser.parse_args()
    taxonomy = load_taxonomy()

    with tempfile.TemporaryDirectory(prefix="propa-bench-") as tmp:
        tmp_path = Path(tmp)
        from annotate.text.corpus import ingest

        ingest([ROOT / "corpus" / "samples"], tmp_path / "samples.jsonl", progress=False)
        sentences = synthetic_sentences(args.n, tmp_path / "samples.jsonl")
        state = tmp_path / "state"
        t0 = time.perf_counter()
        start_server(state, port=free_port(), install=False, echo=lambda m: None)
        print(f"server started in {time.perf_counter() - t0:.1f} s")
        config = read_config(config_path(state))
        conn = Connection(config["url"], config["api_key"])
        try:
            client = LabelStudioClient(conn)

            # baseline: one call per task
            base_id, _ = open_project(client, "bench baseline", taxonomy)
            t0 = time.perf_counter()
            for sentence in sentences[: args.baseline]:
                client.sdk.tasks.create(project=base_id, data=sentence_to_task(sentence)["data"])
            baseline = args.baseline / (time.perf_counter() - t0)
            print(f"baseline  {args.baseline:>6} tasks one call each: {baseline:8.1f} tasks/s")

            # push with predictions
            push_id, _ = open_project(client, "bench push", taxonomy)
            t0 = time.perf_counter()
            counts = push_sentences(client, push_id, sentences, predictions=prediction, progress=False)
            push_s = time.perf_counter() - t0
            stored = client.task_ids_by_sentence(push_id)
            project = client.get_project(push_id)
            lost = {s.id for s in sentences} - set(stored)
            assert counts["imported"] == args.n and not lost and len(stored) == args.n, (counts, len(lost))
            assert project.total_predictions_number == args.n, project.total_predictions_number
            print(f"push      {args.n:>6} tasks + predictions: {push_s:6.1f} s, {args.n / push_s:8.1f} tasks/s, "
                  f"x{args.n / push_s / baseline:.1f} the baseline  (target < 30 s)")

            t0 = time.perf_counter()
            again = push_sentences(client, push_id, sentences, predictions=prediction, progress=False)
            repush_s = time.perf_counter() - t0
            assert again["imported"] == 0 and again["already_there"] == args.n, again
            print(f"re-push   {args.n:>6} tasks, all already there: {repush_s:6.1f} s, nothing imported")

            # pull: N tasks annotated beforehand (bulk import, not timed)
            pull_id, _ = open_project(client, "bench pull", taxonomy)
            user_id = client.user.id
            for batch in batched(sentences, 1000):
                tasks = []
                for s in batch:
                    task = sentence_to_task(s)
                    task["annotations"] = [{"completed_by": user_id, "lead_time": 3.0, "result":
                                            prediction(s)[0]["result"]}]
                    tasks.append(task)
                client.import_tasks(pull_id, tasks)
            # Label Studio goes on updating the imported tasks (their counters) for a while after a
            # bulk import; each update moves updated_at. Wait until that settles, so that the repeat
            # pull below measures what annotators changed, not the import's aftermath.
            settled = wait_settled(client, pull_id)
            print(f"(tasks settled {settled:.0f} s after the bulk import of the annotations)")
            t0 = time.perf_counter()
            summary = pull(conn, taxonomy, str(pull_id), tmp_path / "pulled")
            pull_s = time.perf_counter() - t0
            from annotate.studio.pulled import ROWS_FILE

            pulled_ids = [line.split('"', 4)[3] for line in (tmp_path / "pulled" / ROWS_FILE).open(encoding="utf-8")]
            assert summary.counts.rows == args.n and sorted(pulled_ids) == sorted(s.id for s in sentences)
            print(f"pull      {args.n:>6} annotated tasks: {pull_s:6.1f} s, {args.n / pull_s:8.1f} tasks/s, "
                  f"x{args.n / pull_s / baseline:.1f} the baseline  (target < 20 s)")
            print("nothing lost: ids pushed == ids stored, ids annotated == ids pulled")

            # repeat pull after --changed tasks changed: incremental against a full pull
            import json

            time.sleep(1.5)  # after the first pull's mark (the server's clock, whole seconds)
            # Label Studio goes on updating bulk-imported tasks after the import: one incremental pull,
            # not timed, catches up with that, so the timed one sees only what changed below.
            catch_up = pull(conn, taxonomy, str(pull_id), tmp_path / "pulled")
            print(f"(catch-up pull: {catch_up.changed} tasks Label Studio updated after the import)")
            time.sleep(1.5)
            stored = client.task_ids_by_sentence(pull_id)
            picked = sentences[:: max(1, args.n // args.changed)][:args.changed]
            annotations = {}
            for task in client.tasks_updated_since(pull_id, datetime(2000, 1, 1, tzinfo=timezone.utc)):
                if task["data"]["sentence_id"] in {s.id for s in picked}:
                    annotations[task["data"]["sentence_id"]] = task["annotations"][0]["id"]
            for number, sentence in enumerate(picked):
                if number % 3 == 0:
                    client.create_annotation(stored[sentence.id], [], lead_time=2.0)
                elif number % 3 == 1:
                    client.sdk.annotations.update(id=annotations[sentence.id], result=[])
                else:
                    client.sdk.annotations.delete(id=annotations[sentence.id])
            time.sleep(1.5)
            t0 = time.perf_counter()
            again = pull(conn, taxonomy, str(pull_id), tmp_path / "pulled")
            repeat_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            pull(conn, taxonomy, str(pull_id), tmp_path / "full", full=True)
            full_s = time.perf_counter() - t0

            def rows(folder: Path) -> list[dict]:
                return [json.loads(line) for line in (folder / ROWS_FILE).open(encoding="utf-8")]

            same = rows(tmp_path / "pulled") == rows(tmp_path / "full")
            print(f"repeat pull after {len(picked)} tasks changed: {repeat_s:6.2f} s ({again.changed} tasks fetched, "
                  f"{again.removed} rows dropped), a full pull {full_s:6.1f} s, x{full_s / repeat_s:.0f}  "
                  f"(target < 3 s); rows identical to the full pull: {same}")
            assert same, "the incremental pull differs from a full pull"
        finally:
            stop_server(state)


if __name__ == "__main__":
    main()
