"""Inference on this CPU: throughput, ONNX agreement, memory while streaming a large corpus.

    python bench/inference.py [--sentences 2000] [--naive 300] [--stream 100000]

1. Throughput of a model of camembert-base's shape (12 layers, 768 wide, 110 M
   parameters) built from a CamembertConfig with random weights (nothing is downloaded:
   speed does not depend on the weights), with a SentencePiece tokenizer trained on the
   project's texts, on sentences of realistic lengths (the project's French corpora,
   cycled), measured in the same run:
   - (a) baseline: the transformers `pipeline`, fp32, one sentence at a time, as most
     scripts call it (timed on the first --naive sentences);
   - (b) ours: `train.models.transformer.TransformerScorer` (batches of similar length,
     `torch.inference_mode`, every core);
   - (c) ours on ONNX Runtime with dynamic int8 quantisation (`propa export-onnx`).
   Ratios against (a); and the rate of one of the model's matrix products in fp32 and int8,
   with the CPU's vector flags: int8 is faster only where the CPU has int8 dot-product
   instructions (VNNI, AMX).
2. Agreement: a CamemBERT trained offline by `propa train` (configs/train/camembert-scratch.yaml
   on the project's labelled sentences), exported with `propa export-onnx`'s code; the
   share of distinct sentences whose decisions are identical between (b) and (c).
3. Memory: `propa preannotate --runtime onnx --no-sources` with that model on a generated
   corpus of --stream sentences (articles in JSONL), in a child process whose resident
   memory is sampled: the peak, and the peak over the first tenth (flat memory: the two are
   close). The source extraction (spaCy) is left out: this measures the model path.
4. The fine-tuned multilingual-e5-small (configs/train/encoder-finetune.yaml on the same
   labelled sentences, or --e5-model FOLDER): sentences/s with PyTorch and with its checked
   ONNX export (int8 when it agrees on 99 % of the texts, else fp32, as `propa export-onnx`
   decides), the agreements, and peak memory streaming --e5-stream sentences
   (needs `propa encoder convert`; --e5-stream 0 and --no-e5 skip parts).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotate.text.corpus import read_sentences  # noqa: E402
from annotate.dataset import read_labelled_jsonl, write_dataset  # noqa: E402
from annotate.taxonomy import load_taxonomy  # noqa: E402
from train.models.config import ScratchConfig, load_train_config  # noqa: E402
from train.models.transformer import TransformerScorer, scratch_config, set_threads, train_sentencepiece  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASE_SHAPE = ScratchConfig(vocab_size=32005, hidden_size=768, layers=12, heads=12, intermediate_size=3072)
LABELLED = (ROOT / "corpus" / "gold" / "gold_fr.jsonl", ROOT / "corpus" / "labelled" / "seed_fr.jsonl")


def labelled_rows(taxonomy) -> list[dict]:
    return [row for path in LABELLED if path.is_file() for row in read_labelled_jsonl(path, taxonomy)]


def distinct_texts(taxonomy) -> list[str]:
    texts = [s.text for s in read_sentences(ROOT / "corpus" / "samples")]
    texts += [row["text"] for row in labelled_rows(taxonomy)]
    return list(dict.fromkeys(texts))


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def throughput(args, texts: list[str], labels: list[str], work: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, pipeline

    from train.models.onnx import OnnxScorer, _session, export_graph, quantize_int8

    tokenizer = train_sentencepiece(texts, work / "tokenizer", ScratchConfig(vocab_size=4000), 128, seed=13)
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
    baseline = rate(len(naive), time.perf_counter() - started)
    print(f"(a) pipeline, fp32, one at a time: {baseline:7.1f} sentences/s", flush=True)

    scorer = TransformerScorer(tokenizer, model, 128)
    scorer.scores(texts[:args.batch_size], batch_size=args.batch_size)  # warm-up
    started = time.perf_counter()
    torch_scores = scorer.scores(texts, batch_size=args.batch_size)
    ours = rate(len(texts), time.perf_counter() - started)
    print(f"(b) ours, batched, inference_mode: {ours:7.1f} sentences/s  x{ours / baseline:.1f} vs (a)", flush=True)

    export_graph(model, work / "base.fp32.onnx")
    quantize_int8(work / "base.fp32.onnx", work / "base.int8.onnx")
    onnx_scorer = OnnxScorer(tokenizer, _session(work / "base.int8.onnx", 0), 128, len(labels))
    onnx_scorer.scores(texts[:args.batch_size], batch_size=args.batch_size)
    started = time.perf_counter()
    onnx_scores = onnx_scorer.scores(texts, batch_size=args.batch_size)
    fast = rate(len(texts), time.perf_counter() - started)
    size = (work / "base.int8.onnx").stat().st_size / 2**20
    print(f"(c) ours, ONNX Runtime int8:       {fast:7.1f} sentences/s  x{fast / baseline:.1f} vs (a), "
          f"x{fast / ours:.1f} vs (b); {size:.0f} MiB on disk; largest score difference vs (b) "
          f"{abs(torch_scores - onnx_scores).max():.4f} (random weights)", flush=True)
    fp32, int8 = gemm_rates(work)
    print(f"    one 1152x768 @ 768x3072 product on ONNX Runtime: fp32 {fp32:.0f} G/s, int8 {int8:.0f} G/s "
          f"(x{int8 / fp32:.1f}); CPU flags: {cpu_flags()}", flush=True)


def gemm_rates(work: Path, rows: int = 1152) -> tuple[float, float]:
    """G ops/s of one of the model's matrix products (rows x 768 @ 768 x 3072) on ONNX Runtime,
    in fp32 and with dynamic int8 weights: int8 only pays where the CPU has int8 dot-product
    instructions (AVX-512 VNNI, AVX-VNNI, AMX); with AVX2 alone the two are about equal."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from train.models.onnx import _session, quantize_int8

    rng = np.random.default_rng(13)
    weight = numpy_helper.from_array(rng.standard_normal((768, 3072), dtype=np.float32), "W")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"])], "gemm",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 768])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3072])], [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(work / "gemm.onnx"))
    quantize_int8(work / "gemm.onnx", work / "gemm.int8.onnx")
    x = rng.standard_normal((rows, 768), dtype=np.float32)
    rates = []
    for name in ("gemm.onnx", "gemm.int8.onnx"):
        session = _session(work / name, 0)
        session.run(None, {"x": x})
        started = time.perf_counter()
        for _ in range(10):
            session.run(None, {"x": x})
        rates.append(2 * rows * 768 * 3072 * 10 / (time.perf_counter() - started) / 1e9)
    return rates[0], rates[1]


def cpu_flags() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    wanted = [f for f in flags if f.startswith(("avx512", "avx_vnni", "amx")) or f in ("avx2", "fma")]
    return " ".join(wanted) or "none of avx2/avx512/vnni/amx"


def trained_model(taxonomy, work: Path, config_name: str = "camembert-scratch.yaml", name: str = "model") -> Path:
    from train.data.split import fractions_for, split_dataset
    from train.models.training import train_model

    from annotate.dataset import load_dataset_dict, save_dataset_dict

    rows = labelled_rows(taxonomy)
    if not (work / "split").is_dir():
        write_dataset({"all": rows}, taxonomy, work / "labelled")
        split = split_dataset(load_dataset_dict(work / "labelled", taxonomy)["all"], fractions_for(0.2, 0.2), 13)
        save_dataset_dict(split, work / "split")
    config = load_train_config(ROOT / "configs" / "train" / config_name,
                               (f"data={work / 'split'}", f"output={work / name}"))
    print(f"\ntraining {config.config_path} on {len(rows)} labelled sentences ...", flush=True)
    started = time.perf_counter()
    train_model(config, taxonomy, overwrite=True)
    print(f"trained in {time.perf_counter() - started:.0f} s", flush=True)
    return work / name


def agreement(model_dir: Path, texts: list[str], batch_size: int, label: str = "trained offline model") -> None:
    from train.models.model import load_model
    from train.models.onnx import export_onnx

    # as `propa export-onnx` does by default: int8 kept if it agrees on 99 %, else fp32
    result = export_onnx(model_dir, texts, batch_size=batch_size, checked_on="bench texts")
    kept = "int8" if result.quantized else "fp32"
    if result.int8_share is not None:
        print(f"agreement (b) vs int8 ONNX, {label}: {result.int8_share:.2%} (under 99 %: fp32 kept)", flush=True)
    print(f"agreement (b) vs (c) [{kept}], {label}, {result.texts} distinct sentences: decisions identical "
          f"on {result.identical} ({result.share:.2%}); largest score difference {result.max_score_diff:.4f}",
          flush=True)
    for runtime in ("torch", "onnx"):
        model = load_model(model_dir, runtime=runtime)
        model.scores(texts[:batch_size], batch_size)
        started = time.perf_counter()
        model.scores(texts, batch_size)
        name = runtime if runtime == "torch" else f"onnx {kept}"
        print(f"  trained model, {name:9}: {rate(len(texts), time.perf_counter() - started):7.1f} sentences/s",
              flush=True)


def write_stream_corpus(path: Path, count: int) -> int:
    """Articles in JSONL (id, title, text) made by cycling the sample articles' paragraphs
    under new ids, until ``count`` sentences."""
    from annotate.text.articles import read_articles
    from annotate.text.corpus import split_article

    articles = list(read_articles([ROOT / "corpus" / "samples"]))
    written = 0
    with path.open("w", encoding="utf-8") as handle:
        cycle = 0
        while written < count:
            for article in articles:
                record = {"id": f"{article.id}-{cycle:05d}", "title": article.title, "text": article.text}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += sum(1 for _ in split_article(article))
            cycle += 1
    return written


def stream(model_dir: Path, count: int, work: Path) -> None:
    import psutil

    corpus = work / "stream.jsonl"
    total = write_stream_corpus(corpus, count)
    command = [sys.executable, "-m", "annotate.cli", "preannotate", str(corpus), "-m", str(model_dir),
               "--runtime", "onnx", "--no-sources", "-o", str(work / "stream.predictions.jsonl"), "--batch-size", "64"]
    print(f"\nstreaming {total} sentences ({corpus.stat().st_size / 2**20:.0f} MiB of articles) through "
          "propa preannotate --runtime onnx ...", flush=True)
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    process = psutil.Process(child.pid)
    output = work / "stream.predictions.jsonl"
    samples: list[tuple[int, int]] = []  # (bytes of output written, resident memory)
    while child.poll() is None:
        try:
            rss = process.memory_info().rss
        except psutil.NoSuchProcess:
            break
        samples.append((output.stat().st_size if output.exists() else 0, rss))
        time.sleep(0.25)
    seconds = time.perf_counter() - started
    stdout = child.stdout.read() if child.stdout else ""
    if child.returncode != 0:
        sys.exit(f"preannotate failed ({child.returncode}): {stdout}")
    written = _lines(output)
    final = output.stat().st_size
    peak = max(rss for _, rss in samples)
    early = max((rss for size, rss in samples if size <= final / 10), default=0)
    print(stdout.strip())
    print(f"peak RSS {peak / 2**20:.0f} MiB over {written} sentences ({rate(written, seconds):.0f} sentences/s "
          f"including start-up); peak while the first tenth was written {early / 2**20:.0f} MiB", flush=True)


def _lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--naive", type=int, default=300, help="sentences timed for the one-at-a-time baseline")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--stream", type=int, default=100_000, help="sentences streamed for the memory figure "
                        "(0: skip)")
    parser.add_argument("--no-camembert", action="store_true", help="skip parts 1-3 (the camembert-shaped model)")
    parser.add_argument("--no-e5", action="store_true", help="skip part 4 (the fine-tuned e5-small)")
    parser.add_argument("--e5-model", type=Path, help="a fine-tuned e5-small model folder (default: train one)")
    parser.add_argument("--e5-stream", type=int, default=10_000, help="sentences streamed through the e5 model")
    args = parser.parse_args()

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    set_threads(0)
    taxonomy = load_taxonomy()
    pool = distinct_texts(taxonomy)
    texts = [pool[i % len(pool)] for i in range(args.sentences)]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        if not args.no_camembert:
            throughput(args, texts, taxonomy.label_names, work)
            model_dir = trained_model(taxonomy, work)
            agreement(model_dir, pool, args.batch_size)
            if args.stream:
                stream(model_dir, args.stream, work)
        if not args.no_e5:
            print("\n== fine-tuned multilingual-e5-small (12 layers, 384 wide, 118 M parameters)", flush=True)
            e5 = args.e5_model or trained_model(taxonomy, work, "encoder-finetune.yaml", "e5-finetuned")
            if args.e5_model:  # export into a copy: the bench never writes into the user's folder
                import shutil

                e5 = Path(shutil.copytree(args.e5_model, work / "e5-finetuned", ignore=shutil.ignore_patterns("onnx")))
            agreement(e5, pool, args.batch_size, label="fine-tuned e5-small")
            if args.e5_stream:
                stream(e5, args.e5_stream, work)


if __name__ == "__main__":
    main()
