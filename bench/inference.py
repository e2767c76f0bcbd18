"""Inference throughput of a CamemBERT-base-size model on French sentences, on this CPU.

    python bench/inference.py [--sentences 2000] [--naive 300]

A model of camembert-base's shape (12 layers, 768 wide, 110 M parameters) is built from a
CamembertConfig with random weights (nothing is downloaded: speed does not depend on the
weights), with a SentencePiece tokenizer trained on the project's sample texts. Measured in
the same run, on sentences of realistic lengths (the sample corpus and seed set, cycled):

- (a) baseline: the transformers `pipeline`, fp32, one sentence at a time, as most scripts
  call it (timed on the first --naive sentences);
- (b) ours: `train.transformer.TransformerScorer`, batches of similar length,
  `torch.inference_mode`, every core.

Prints sentences/s of each and the ratio against (a). The ONNX Runtime int8 path (c) of
issue 4 is not built yet.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotate.corpus import read_sentences  # noqa: E402
from annotate.dataset import read_labelled_jsonl  # noqa: E402
from annotate.taxonomy import load_taxonomy  # noqa: E402
from train.config import ScratchConfig  # noqa: E402
from train.transformer import TransformerScorer, scratch_config, set_threads, train_sentencepiece  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASE_SHAPE = ScratchConfig(vocab_size=32005, hidden_size=768, layers=12, heads=12, intermediate_size=3072)


def sentences(n: int) -> list[str]:
    taxonomy = load_taxonomy()
    texts = [s.text for s in read_sentences(ROOT / "corpus" / "samples")]
    texts += [row["text"] for row in read_labelled_jsonl(ROOT / "corpus" / "labelled" / "seed_fr.jsonl", taxonomy)]
    return [texts[i % len(texts)] for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--naive", type=int, default=300, help="sentences timed for the one-at-a-time baseline")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForSequenceClassification, pipeline
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    set_threads(0)
    labels = load_taxonomy().label_names
    texts = sentences(args.sentences)
    with tempfile.TemporaryDirectory() as folder:
        tokenizer = train_sentencepiece(texts, Path(folder), ScratchConfig(vocab_size=4000), 128, seed=13)
    config = scratch_config(BASE_SHAPE, tokenizer, num_labels=len(labels), problem_type="multi_label_classification")
    config.vocab_size = BASE_SHAPE.vocab_size  # camembert-base's embedding size, whatever our vocabulary
    torch.manual_seed(13)
    model = AutoModelForSequenceClassification.from_config(config).eval()
    parameters = sum(p.numel() for p in model.parameters()) / 1e6
    lengths = [len(tokenizer(t)["input_ids"]) for t in texts]
    print(f"model: {parameters:.0f} M parameters; {len(texts)} sentences, {sum(lengths) / len(lengths):.0f} tokens "
          f"on average (max {max(lengths)}); {os.cpu_count()} cores, torch {torch.__version__}", flush=True)

    classify = pipeline("text-classification", model=model, tokenizer=tokenizer, top_k=None,
                        function_to_apply="sigmoid", device="cpu")
    naive = texts[:args.naive]
    classify(naive[0])  # warm-up
    started = time.perf_counter()
    for text in naive:
        classify(text)
    baseline = len(naive) / (time.perf_counter() - started)
    print(f"(a) pipeline, fp32, one at a time: {baseline:7.1f} sentences/s", flush=True)

    scorer = TransformerScorer(tokenizer, model, 128)
    scorer.scores(texts[:args.batch_size], batch_size=args.batch_size)  # warm-up
    started = time.perf_counter()
    scorer.scores(texts, batch_size=args.batch_size)
    ours = len(texts) / (time.perf_counter() - started)
    print(f"(b) ours, batched, inference_mode: {ours:7.1f} sentences/s  x{ours / baseline:.1f} vs (a)")


if __name__ == "__main__":
    main()
