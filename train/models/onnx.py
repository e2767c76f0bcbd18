"""An ONNX Runtime path for CamemBERT models: export, int8 quantisation, agreement check.

`propa export-onnx MODEL` writes ``MODEL/onnx/``:

- ``model.onnx``: the classifier exported from PyTorch (opset 17, dynamic batch and
  sequence axes), then by default quantised with ONNX Runtime's dynamic int8
  quantisation (weights int8, activations quantised on the fly);
- ``onnx.json``: how it was made, the sha256 of the PyTorch weights it came from, and the
  agreement check: on a set of texts (by default the dev split the model was tuned on),
  the share of texts whose decisions, at the model's saved thresholds, are identical to
  the PyTorch model's, and the largest score difference.

The folder is installed only when the share reaches ``min_agreement`` (0.99 by default).
By default int8 is tried first and, when it falls short, the fp32 export (checked the same
way) is kept instead: a fine-tuned multilingual-e5-small, whose decisions sit close to
its thresholds, agreed on 36 % of 1,302 sentences in int8 (and on 52 to 88 % with any
group of its layers left out of the quantisation) against 100 % in fp32. When neither
passes, nothing is written and the error gives the figures. Loading with
``runtime="onnx"`` refuses a folder whose check is missing or whose source weights have
changed since (a retrained model), naming the command to rerun. Predictions made this way
carry ``<model_version>+onnx-int8`` (or ``+onnx-fp32``): a different runtime is a
different model as far as provenance goes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annotate.errors import InputError
from annotate.files import file_sha256
from train.models.model import Model, ModelMeta

ONNX_DIR = "onnx"
ONNX_FILE = "model.onnx"
ONNX_META = "onnx.json"
OPSET = 17
FORMAT = 1


@dataclass(frozen=True)
class Agreement:
    """How far the ONNX model's outputs agree with PyTorch's on the same texts."""

    texts: int
    identical: int  # texts whose decisions are identical on every label
    max_score_diff: float
    quantized: bool = True  # what was kept: int8 or fp32
    int8_share: float | None = None  # when int8 was tried and fell short: its share

    @property
    def share(self) -> float:
        return self.identical / self.texts if self.texts else 0.0


def runtime_suffix(quantize: bool) -> str:
    return "+onnx-int8" if quantize else "+onnx-fp32"


def compare(model: Model, reference: np.ndarray, candidate: np.ndarray) -> Agreement:
    """Agreement of two score matrices of ``model``'s labels (untrained labels ignored)."""
    mask = model.trained_mask
    reference, candidate = reference[:, mask], candidate[:, mask]
    thresholds = np.asarray(model.meta.thresholds)[mask]
    same = ((reference >= thresholds) == (candidate >= thresholds)).all(axis=1)
    diff = float(np.abs(reference - candidate).max()) if reference.size else 0.0
    return Agreement(texts=len(reference), identical=int(same.sum()), max_score_diff=diff)


class OnnxScorer:
    """Same interface as :class:`train.models.transformer.TransformerScorer`, on an ONNX Runtime session."""

    def __init__(self, tokenizer, session, max_length: int, num_labels: int, prefix: str = ""):
        self.prefix = prefix
        self.tokenizer = tokenizer
        self.session = session
        self.max_length = max_length
        self.num_labels = num_labels

    def scores(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        from tqdm.auto import tqdm

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.num_labels), dtype=np.float32)
        bar = tqdm(total=len(texts), unit=" text", disable=not progress, desc="scoring")
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            encoded = self.tokenizer([self.prefix + texts[i] for i in batch], truncation=True,
                                     max_length=self.max_length, padding=True, return_tensors="np")
            (logits,) = self.session.run(["logits"], {
                "input_ids": encoded["input_ids"].astype(np.int64),
                "attention_mask": encoded["attention_mask"].astype(np.int64)})
            out[batch] = 1.0 / (1.0 + np.exp(-logits.astype(np.float32)))
            bar.update(len(batch))
        bar.close()
        return out


def _session(path: Path, threads: int):
    try:
        import onnxruntime as ort
    except ModuleNotFoundError:
        raise InputError("the ONNX path needs onnxruntime: pip install -e '.[train]'") from None
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads if threads > 0 else (os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def export_graph(torch_model, path: Path) -> None:
    """Export a sequence classifier to ONNX with dynamic batch and sequence axes."""
    import torch

    example = {"input_ids": torch.ones((2, 8), dtype=torch.long),
               "attention_mask": torch.ones((2, 8), dtype=torch.long)}
    axes = {0: "batch", 1: "sequence"}
    # The tracer's warnings are about code paths (causal masks, negative indices) that a
    # bidirectional encoder never takes; they would only confuse users.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(torch_model.eval(), (example["input_ids"], example["attention_mask"]), str(path),
                          input_names=["input_ids", "attention_mask"], output_names=["logits"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "logits": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)


def quantize_int8(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Signed int8 weights on 7 bits (reduce_range), tensor-wise. Measured on a CamemBERT
    # trained on the gold and seed sets, 1,164 distinct sentences: decisions identical to
    # PyTorch on 98.8 % with 8-bit weights, 99.2 % with reduce_range (the 16-bit
    # intermediate sums of AVX2 int8 kernels saturate less), 94.6 % with per-channel scales.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process applies to image models
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, reduce_range=True)
    finally:
        root.setLevel(level)


def export_onnx(model_dir: Path, texts: list[str], quantize: bool | None = None, min_agreement: float = 0.99,
                batch_size: int = 32, threads: int = 0, checked_on: str = "") -> Agreement:
    """Export ``model_dir`` to ``model_dir/onnx`` and check it on ``texts``; see the module doc.

    ``quantize``: True int8 only, False fp32 only, None (default) int8 if it passes the
    check, else fp32.
    """
    from train.models.model import load_model

    model_dir = Path(model_dir)
    model = load_model(model_dir, threads=threads)
    if model.meta.family != "camembert":
        raise InputError(f"{model_dir}: a {model.meta.family} model; only CamemBERT models (fine-tuned encoders) "
                         "have an ONNX path")
    if not texts:
        raise InputError(f"{checked_on or 'the check set'}: no texts to check the ONNX model on")
    staging = model_dir / (ONNX_DIR + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        fp32 = staging / "model.fp32.onnx"
        export_graph(model.scorer.model, fp32)
        reference = model.scores(texts, batch_size)

        def check(path: Path, quantized: bool) -> Agreement:
            onnx_model = dataclasses.replace(model, scorer=_onnx_scorer(model, path, threads))
            found = compare(model, reference, onnx_model.scores(texts, batch_size))
            return dataclasses.replace(found, quantized=quantized)

        agreement = int8 = None
        if quantize is not False:
            quantize_int8(fp32, staging / ONNX_FILE)
            int8 = agreement = check(staging / ONNX_FILE, True)
        if quantize is False or (quantize is None and int8.share < min_agreement):
            (staging / ONNX_FILE).unlink(missing_ok=True)
            fp32.rename(staging / ONNX_FILE)
            agreement = check(staging / ONNX_FILE, False)
            if int8 is not None:
                agreement = dataclasses.replace(agreement, int8_share=int8.share)
        fp32.unlink(missing_ok=True)
        if agreement.share < min_agreement:
            tried = f"int8 {int8.share:.2%}, " if int8 is not None and not agreement.quantized else ""
            raise InputError(
                f"{model_dir}: the ONNX model disagrees with PyTorch on {agreement.texts - agreement.identical} "
                f"of {agreement.texts} texts ({tried}{agreement.share:.2%} identical, {min_agreement:.0%} required; "
                f"largest score difference {agreement.max_score_diff:.4f}); nothing written"
                + ("; try without --int8" if quantize else ""))
        import onnxruntime

        (staging / ONNX_META).write_text(json.dumps({
            "format": FORMAT, "quantization": "dynamic-int8" if agreement.quantized else "none", "opset": OPSET,
            "onnxruntime": onnxruntime.__version__, "source_sha256": file_sha256(model_dir / "model.safetensors"),
            "model_version": model.model_version + runtime_suffix(agreement.quantized),
            "check": {"on": checked_on, "texts": agreement.texts, "identical": agreement.identical,
                      "share": agreement.share, "max_score_diff": agreement.max_score_diff,
                      "min_agreement": min_agreement, "int8_share": agreement.int8_share}},
            indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        target = model_dir / ONNX_DIR
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return agreement


def _onnx_scorer(model: Model, path: Path, threads: int) -> OnnxScorer:
    tokenizer = model.scorer.tokenizer
    return OnnxScorer(tokenizer, _session(path, threads), int(tokenizer.model_max_length), len(model.meta.labels),
                      model.meta.text_prefix)


def load_onnx(path: Path, meta: ModelMeta, threads: int = 0) -> tuple[OnnxScorer, ModelMeta]:
    """The ONNX scorer of a model folder and its metadata under the ONNX model_version."""
    from transformers import AutoTokenizer

    folder = Path(path) / ONNX_DIR
    rerun = f"run: propa export-onnx {path}"
    if not (folder / ONNX_META).is_file() or not (folder / ONNX_FILE).is_file():
        raise InputError(f"{path}: no checked ONNX export; {rerun}")
    info = json.loads((folder / ONNX_META).read_text(encoding="utf-8"))
    if info.get("source_sha256") != file_sha256(Path(path) / "model.safetensors"):
        raise InputError(f"{path}: the ONNX export was made from other weights (the model was retrained); {rerun}")
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    scorer = OnnxScorer(tokenizer, _session(folder / ONNX_FILE, threads), int(tokenizer.model_max_length),
                        len(meta.labels), meta.text_prefix)
    return scorer, dataclasses.replace(meta, model_version=info["model_version"])


def onnx_info(path: Path) -> dict | None:
    folder = Path(path) / ONNX_DIR
    if not (folder / ONNX_META).is_file():
        return None
    return json.loads((folder / ONNX_META).read_text(encoding="utf-8"))



def ensemble_members_to_export(model_dir: Path) -> list[Path]:
    """The fine-tuned members of an ensemble folder (those an ONNX export applies to)."""
    from train.models.ensemble import ENSEMBLE_FILE

    entries = json.loads((Path(model_dir) / ENSEMBLE_FILE).read_text(encoding="utf-8"))["members"]
    members = [Path(model_dir) / entry["path"] for entry in entries if entry["family"] == "camembert"]
    if not members:
        raise InputError(f"{model_dir}: no member of this ensemble is a fine-tuned encoder: nothing to export "
                         "(its members are already fast)")
    return members
