"""The three sourcing techniques, learnt from the project's gold set, on text held out from it.

    python bench/sourcing.py [--only tfidf,tfidf-encoder,finetune,ensemble] [--set camembert.epochs=3]

Trains each shipped config on the development gold set (`corpus/gold/gold_fr.jsonl`, 53
articles, split by article: 80 % train, 20 % dev for thresholds and early stopping), then
scores, per technique (unsupported_allegation, speculative_link, vague_sourcing), precision,
recall and F1 at the saved thresholds on:

- the held-out gold articles (`corpus/gold/heldout/gold_fr.jsonl`, written without sight of
  the rules, never tuned on);
- the paraphrase set (`corpus/gold/heldout/paraphrases.jsonl`): 30 sentences that carry a
  technique with no stock cue phrase, and 15 hard negatives.

The models alone, without the cue rules that `propa preannotate` adds. tfidf-encoder and
finetune need the encoder (`propa encoder convert` offline).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotate.dataset import label_strings, read_labelled_jsonl, rows_to_dataset, save_dataset_dict  # noqa: E402
from annotate.taxonomy import load_taxonomy  # noqa: E402
from train.models.config import load_train_config  # noqa: E402
from train.models.metrics import multi_hot, report  # noqa: E402
from train.models.model import load_model  # noqa: E402
from train.data.split import fractions_for, split_dataset  # noqa: E402
from train.models.training import train_model  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "corpus" / "gold"
TECHNIQUES = ("unsupported_allegation", "speculative_link", "vague_sourcing")
CONFIGS = {"tfidf": "tfidf.yaml", "tfidf-encoder": "tfidf-encoder.yaml", "finetune": "encoder-finetune.yaml"}
RUNS = ("tfidf", "tfidf-encoder", "finetune", "ensemble")


def scored(model, rows: list[dict]) -> dict:
    truth = multi_hot([row["labels"] for row in rows], model.labels)
    return report(truth, model.decide(model.scores([row["text"] for row in rows])), model.labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / "out" / "bench" / "sourcing")
    parser.add_argument("--only", default=",".join(RUNS), help=f"comma-separated subset of {','.join(RUNS)}")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="override a field of the finetune run (e.g. camembert.epochs=3)")
    args = parser.parse_args()
    runs = [name.strip() for name in args.only.split(",") if name.strip()]
    taxonomy = load_taxonomy()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    rows = read_labelled_jsonl(GOLD / "gold_fr.jsonl", taxonomy)
    split = split_dataset(rows_to_dataset(rows, taxonomy), fractions_for(0.2, 0.0), seed=13)
    save_dataset_dict(split, work / "split")
    print(f"gold set: train {len(split['train'])}, dev {len(split['dev'])} sentences", flush=True)
    tests = {"held-out articles": read_labelled_jsonl(GOLD / "heldout" / "gold_fr.jsonl", taxonomy),
             "paraphrases": read_labelled_jsonl(GOLD / "heldout" / "paraphrases.jsonl", taxonomy)}
    results: dict[str, dict] = {}
    for name in runs:
        started = time.perf_counter()
        if name == "ensemble":
            members = json.dumps([str(work / "tfidf-encoder"), str(work / "finetune")])
            overrides = ("family=ensemble", "tfidf=null", f"ensemble.members={members}")
            config_file = "tfidf.yaml"
        else:
            overrides, config_file = tuple(args.overrides if name == "finetune" else ()), CONFIGS[name]
        config = load_train_config(ROOT / "configs" / "train" / config_file,
                                   (f"data={work / 'split'}", f"output={work / name}", *overrides))
        print(f"\n== {name} ({config_file})", flush=True)
        train_model(config, taxonomy, overwrite=True)
        seconds = time.perf_counter() - started
        model = load_model(work / name)
        results[name] = {"seconds": seconds, **{test: scored(model, test_rows) for test, test_rows in tests.items()}}

    for test in tests:
        support = {t: sum(t in labels for labels in label_strings(rows_to_dataset(tests[test], taxonomy)))
                   for t in TECHNIQUES}
        print(f"\n{test}: F1 (precision/recall) per technique, the models alone")
        print(f"{'model':14} " + " ".join(f"{t[:22]:>24}" for t in TECHNIQUES) + f" {'train time':>11}")
        print(f"{'(support)':14} " + " ".join(f"{support[t]:>24}" for t in TECHNIQUES))
        for name, result in results.items():
            cells = []
            for technique in TECHNIQUES:
                row = result[test]["per_label"][technique]
                cells.append(f"{row['f1']:.2f} ({row['precision']:.2f}/{row['recall']:.2f})")
            print(f"{name:14} " + " ".join(f"{c:>24}" for c in cells) + f" {result['seconds'] / 60:9.1f} min")
    (work / "results.json").write_text(json.dumps({
        name: {"seconds": r["seconds"], **{test: {t: r[test]["per_label"][t] for t in TECHNIQUES} for test in tests}}
        for name, r in results.items()}, indent=2) + "\n", encoding="utf-8")
    print(f"-> {work / 'results.json'}")


if __name__ == "__main__":
    main()
