"""Pre-annotation at scale: the local engine against Ray with 1 and 2 actors, on this machine.

    python bench/scale.py [--sentences 200000] [--workers 1,2] [--model MODEL] [--sources]

Makes a corpus of --sentences sentences (the gold articles cycled under new ids, `propa ingest`,
the first N kept), trains a TF-IDF model on the gold set unless --model names one, then runs, each as
its own `propa preannotate` process, into a fresh output:

- the local engine (``--engine local``, all cores for the model);
- Ray on this machine (``--engine ray``) with each number of actors of --workers, one CPU each.

First, the driver's reading pass of the Ray engine alone (locating the articles of the corpus,
which the workers then read themselves), timed in this process. For each run: the wall time,
sentences per second (start-up included, and from the first prediction written), and the peak
resident memory of the driver and of the largest Ray worker (sampled every 0.2 s with psutil over
the whole process tree), then the predictions checked equal, set-wise, to the local engine's. The
ratios are against the local engine measured in the same run. Without --sources the model's scores
only (`--no-sources`), the part a cluster speeds up the most.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent


def propa(*args: str) -> list[str]:
    return [sys.executable, "-m", "annotate.cli", *args]


def check(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[2:5])} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def make_corpus(work: Path, sentences: int) -> Path:
    from annotate.text.articles import read_articles
    from annotate.text.corpus import split_article

    articles = list(read_articles([ROOT / "corpus" / "gold" / "articles.jsonl"]))
    source = work / "articles.jsonl"
    written, cycle = 0, 0
    with source.open("w", encoding="utf-8") as handle:
        while written < sentences:
            for article in articles:
                handle.write(json.dumps({"id": f"{article.id}-{cycle:05d}", "title": article.title,
                                         "text": article.text}, ensure_ascii=False) + "\n")
                written += sum(1 for _ in split_article(article))
                if written >= sentences:
                    break
            cycle += 1
    everything = work / "all.jsonl"
    check(propa("ingest", str(source), "-o", str(everything)))
    corpus = work / "corpus.jsonl"
    with everything.open(encoding="utf-8") as lines, corpus.open("w", encoding="utf-8") as out:
        for number, line in enumerate(lines):
            if number >= sentences:
                break
            out.write(line)
    return corpus


def train_model(work: Path) -> Path:
    data = work / "data"
    for args in (("data", "from-jsonl", str(ROOT / "corpus" / "gold" / "gold_fr.jsonl"), "-o", str(data / "gold")),
                 ("data", "split", str(data / "gold"), "-o", str(data / "split"), "--dev", "0.2", "--test", "0.2"),
                 ("train", "-c", str(ROOT / "configs" / "train" / "tfidf.yaml"), "--data", str(data / "split"),
                  "-o", str(work / "model"), "--overwrite")):
        check(propa(*args))
    return work / "model"


class Sampler:
    """Peak RSS of a process and, apart, of the Ray workers it started (their command line names them)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.driver = self.worker = 0
        self.first_output: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self, watch: Path) -> "Sampler":
        self.watch = watch
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        root = psutil.Process(self.pid)
        while not self._stop.is_set():
            try:
                self.driver = max(self.driver, root.memory_info().rss)
                for process in psutil.process_iter(["cmdline", "memory_info"]):
                    cmdline = " ".join(process.info["cmdline"] or ())
                    if "MapWorker" in cmdline and process.info["memory_info"] is not None:
                        self.worker = max(self.worker, process.info["memory_info"].rss)
            except psutil.NoSuchProcess:
                pass
            if self.first_output is None and _has_output(self.watch):
                self.first_output = time.perf_counter()
            self._stop.wait(0.2)


def _has_output(path: Path) -> bool:
    if path.is_file():
        return path.stat().st_size > 0
    return path.is_dir() and any(path.glob("shard-*"))


def predictions(path: Path) -> dict[str, dict]:
    files = [path] if path.is_file() else sorted(path.glob("shard-*.jsonl"))
    out: dict[str, dict] = {}
    for file in files:
        with file.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                assert record["sentence_id"] not in out, f"{record['sentence_id']} written twice"
                out[record["sentence_id"]] = record
    return out


def measure(label: str, command: list[str], out: Path, sentences: int) -> dict:
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(child.pid).start(out)
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - started
    sampler.stop()
    if child.returncode != 0:
        sys.exit(f"{label} failed:\n{stderr[-2000:]}")
    steady = seconds - (sampler.first_output - started) if sampler.first_output else seconds
    result = {"label": label, "seconds": seconds, "rate": sentences / seconds,
              "steady_rate": sentences / steady if steady > 0 else 0.0,
              "driver_mib": sampler.driver / 2**20, "worker_mib": sampler.worker / 2**20, "out": out}
    print(f"{label:18} {seconds:7.1f} s  {result['rate']:8.0f} sentences/s ({result['steady_rate']:.0f} from the "
          f"first output on)  peak RSS driver {result['driver_mib']:.0f} MiB"
          + (f", largest worker {result['worker_mib']:.0f} MiB" if sampler.worker else ""), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=200_000)
    parser.add_argument("--workers", default="1,2", help="numbers of Ray actors to measure, comma-separated")
    parser.add_argument("--model", type=Path, help="model folder (default: a TF-IDF model trained on the gold set)")
    parser.add_argument("--sources", action="store_true", help="also find the sources (spaCy; much slower)")
    parser.add_argument("--shard-size", type=int, default=500, help="articles a shard")
    args = parser.parse_args()

    import os

    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="propa-scale-") as folder:
        work = Path(folder)
        started = time.perf_counter()
        corpus = make_corpus(work, args.sentences)
        model = args.model or train_model(work)
        print(f"{args.sentences} sentences, model {model.name}, {cores} cores; set up in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        from train.ray_engine import plan

        located = time.perf_counter()
        pieces = len(plan(corpus, None, args.shard_size, set()).pieces)
        located = time.perf_counter() - located
        print(f"the driver's reading pass: {located:.1f} s ({args.sentences / located:,.0f} sentences/s), "
              f"{pieces} pieces", flush=True)
        flags = [] if args.sources else ["--no-sources"]
        base = ["preannotate", str(corpus), "-m", str(model), *flags]
        runs = [measure("local", propa(*base, "-o", str(work / "local.jsonl")), work / "local.jsonl", args.sentences)]
        for workers in (int(w) for w in args.workers.split(",")):
            out = work / f"ray-{workers}"
            runs.append(measure(f"ray, {workers} actor{'s' if workers > 1 else ''}",
                                propa(*base, "--engine", "ray", "--workers", str(workers), "--shard-size",
                                      str(args.shard_size), "-o", str(out)), out, args.sentences))
        expected = predictions(runs[0]["out"])
        assert len(expected) == args.sentences, len(expected)
        for run in runs[1:]:
            got = predictions(run["out"])
            same = got.keys() == expected.keys() and all(got[k]["result"] == expected[k]["result"] for k in got)
            print(f"{run['label']}: {'the same predictions as the local engine' if same else 'DIFFERENT predictions'}"
                  f"; {run['rate'] / runs[0]['rate']:.2f}x the local engine's rate "
                  f"({run['steady_rate'] / runs[0]['steady_rate']:.2f}x from the first output on)")
        if len(runs) > 2:
            one, two = runs[1], runs[2]
            print(f"ray, 2 actors against 1: {two['steady_rate'] / one['steady_rate']:.2f}x from the first output on")


if __name__ == "__main__":
    main()
