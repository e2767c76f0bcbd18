"""`propa report` on 1,000 articles from stored predictions: the time an analyst waits for the pages.

    python bench/report.py [--articles 1000] [--work out/bench/report]

Not timed, first: predictions for the gold set's 53 articles (`corpus/gold/articles.jsonl`) as
`propa preannotate` writes them (a TF-IDF model trained on the gold set, the cue rules, the sources
with their kind and reliability), then a corpus of --articles articles made of copies of those
(each copy its own id, a date moved by whole months, so that the corpus page has months to show),
written as a sentence corpus (INPUT) and a predictions file.

Timed: the command itself, in a fresh process (`propa report INPUT --predictions FILE -o DIR`:
startup, reading, the sourcing profiles, the pages, the writes), and as the baseline of the same run
a fresh process that only reads INPUT and the predictions (what any tool would do first), so the
ratio says what the pages cost beyond the reading. Target (issue 19): 1,000 articles in under a
minute on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotate.cues import load_cues  # noqa: E402
from annotate.dataset import read_labelled_jsonl, rows_to_dataset, save_dataset_dict  # noqa: E402
from annotate.report.views import by_article  # noqa: E402
from annotate.sources.registry import load_registry  # noqa: E402
from annotate.taxonomy import load_taxonomy  # noqa: E402
from annotate.text.corpus import read_sentences  # noqa: E402
from train.data.split import fractions_for, split_dataset  # noqa: E402
from train.models.config import load_train_config  # noqa: E402
from train.models.model import load_model  # noqa: E402
from train.models.training import train_model  # noqa: E402
from train.predictor import Predictor, build_attributor  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "corpus" / "gold"
TARGET_SECONDS = 60.0


def gold_predictions(work: Path) -> tuple[list, dict[str, dict]]:
    """The gold articles' sentences, and their predictions by sentence id."""
    taxonomy = load_taxonomy()
    rows = read_labelled_jsonl(GOLD / "gold_fr.jsonl", taxonomy)
    save_dataset_dict(split_dataset(rows_to_dataset(rows, taxonomy), fractions_for(0.2, 0.0), seed=13),
                      work / "split")
    config = load_train_config(ROOT / "configs" / "train" / "tfidf.yaml",
                               (f"data={work / 'split'}", f"output={work / 'tfidf'}"))
    train_model(config, taxonomy, overwrite=True)
    registry = load_registry(None, taxonomy)
    predictor = Predictor(taxonomy, load_model(work / "tfidf"), load_cues(taxonomy), build_attributor(registry))
    sentences = list(read_sentences(GOLD / "articles.jsonl"))
    predictions = {}
    for group in by_article(sentences):
        for prediction in predictor.predict(group):
            predictions[prediction["sentence_id"]] = prediction
    return sentences, predictions


def moved(date: str, months: int) -> str:
    """``date`` (YYYY-MM-DD) ``months`` later, the day kept (at most 28)."""
    if len(date) < 7:
        return date
    year, month = int(date[:4]), int(date[5:7]) - 1 + months
    day = min(int(date[8:10]) if len(date) >= 10 else 1, 28)
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}-{day:02d}"


def write_copies(sentences: list, predictions: dict[str, dict], count: int, corpus: Path, out: Path) -> int:
    """``count`` articles, copies of the gold ones in turn, as a sentence corpus and predictions."""
    groups = list(by_article(sentences))
    written = 0
    with corpus.open("w", encoding="utf-8") as text, out.open("w", encoding="utf-8") as predicted:
        for number in range(count):
            group = groups[number % len(groups)]
            copy = number // len(groups)
            for sentence in group:
                record = sentence.to_dict()
                record["article_id"] = f"{sentence.article_id}-{copy}"
                record["id"] = f"{record['article_id']}:{sentence.start}-{sentence.end}"
                record["date"] = moved(sentence.date, copy)
                text.write(json.dumps(record, ensure_ascii=False) + "\n")
                prediction = dict(predictions[sentence.id], sentence_id=record["id"])
                predicted.write(json.dumps(prediction, ensure_ascii=False) + "\n")
                written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="articles in the corpus reported on")
    parser.add_argument("--work", type=Path, default=ROOT / "out" / "bench" / "report")
    args = parser.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sentences, predictions = gold_predictions(work)
    corpus, predicted, report = work / "sentences.jsonl", work / "predictions.jsonl", work / "report"
    count = write_copies(sentences, predictions, args.articles, corpus, predicted)
    print(f"prepared {args.articles} articles, {count} sentences with their predictions in "
          f"{time.perf_counter() - started:.1f} s (not timed)", flush=True)
    shutil.rmtree(report, ignore_errors=True)
    propa = Path(sys.executable).with_name("propa")
    started = time.perf_counter()
    done = subprocess.run([str(propa), "report", str(corpus), "--predictions", str(predicted), "-o", str(report)],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"propa report failed: {done.stderr.strip()}")
    started = time.perf_counter()
    reading = ("import sys; from annotate.text.corpus import read_sentences; "
               "from train.preannotate import read_predictions; "
               "n = sum(1 for _ in read_sentences(sys.argv[1])); p = read_predictions(sys.argv[2]); "
               "assert n == len(p), (n, len(p))")
    subprocess.run([sys.executable, "-c", reading, str(corpus), str(predicted)], check=True, cwd=ROOT)
    baseline = time.perf_counter() - started
    pages = list((report / "articles").glob("*.html"))
    size = sum(p.stat().st_size for p in pages) + (report / "index.html").stat().st_size
    print(done.stdout.strip())
    print(f"propa report: {len(pages)} article pages + index.html ({size / 1e6:.1f} MB, index "
          f"{(report / 'index.html').stat().st_size / 1e6:.2f} MB) in {seconds:.1f} s, "
          f"{len(pages) / seconds:.0f} articles/s; target {args.articles} articles under {TARGET_SECONDS:.0f} s: "
          f"{'met' if seconds < TARGET_SECONDS * args.articles / 1000 else 'MISSED'}")
    print(f"baseline, reading INPUT and the predictions alone in a fresh process: {baseline:.1f} s; the report takes "
          f"{seconds / baseline:.1f}x that")


if __name__ == "__main__":
    main()
