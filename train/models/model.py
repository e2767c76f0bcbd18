"""The model folder: what a trained model is on disk, and loading it back.

Both families write the same metadata next to their weights:

- ``propa_model.json``: family, ``model_version``, label names (= ``label2id`` order),
  per-label thresholds, the labels that had training examples, the training data hash;
- ``train_config.yaml``: the full config that trained it (defaults filled in);
- ``metrics.json``: dev metrics per label, at the saved thresholds;
- the weights: ``tfidf.json`` + ``tfidf.safetensors`` (tfidf; plain data, no pickle) or
  ``config.json`` + ``model.safetensors`` + the tokenizer files (camembert).

``model_version`` is "<folder name>@<12 hex>", the hex being a hash of the config, the
labels and the training data: two models trained alike on the same data share it, and
it travels with every prediction (files and Label Studio).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Protocol

import numpy as np
import yaml

from annotate.errors import InputError, cut, quote
from annotate.yamlconf import load_yaml
from train.models.config import TrainConfig, config_from_dict
from train.models.metrics import apply_thresholds

META_FILE = "propa_model.json"
CONFIG_FILE = "train_config.yaml"
METRICS_FILE = "metrics.json"
NEVER_PREDICTED = 1.0 + 1e-6  # the highest threshold: a label that had no training example
FORMAT = 1

WEIGHT_FILES = {
    "tfidf": ("tfidf.json", "tfidf.safetensors"),
    "tfidf-encoder": ("tfidf.json", "tfidf.safetensors"),
    "camembert": ("config.json", "model.safetensors", "tokenizer_config.json"),
    "ensemble": ("ensemble.json",),
}


@dataclass(frozen=True)
class ModelMeta:
    family: str
    model_version: str
    labels: tuple[str, ...]
    thresholds: tuple[float, ...]
    trained_labels: tuple[str, ...]  # labels that had positive examples in training
    data_hash: str
    text_column: str = "text"
    text_prefix: str = ""  # put before every text the model scores ("query: " for e5)
    pooling: str = "cls"  # fine-tuned encoders: "cls" (the model's own head) or "mean" (train.models.transformer)

    @property
    def label2id(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.labels)}


class Scorer(Protocol):
    def scores(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray: ...


@dataclass
class Model:
    """A loaded model: scores texts, applies its saved thresholds."""

    path: Path
    meta: ModelMeta
    config: TrainConfig
    scorer: Scorer

    @property
    def labels(self) -> list[str]:
        return list(self.meta.labels)

    @property
    def model_version(self) -> str:
        return self.meta.model_version

    @property
    def batch_size(self) -> int:
        """Texts scored at once unless told otherwise: the model's own setting (the batch size a
        CamemBERT was trained with, the one its encoder embeds with), else 32."""
        for section in (self.config.camembert, self.config.encoder):
            if section is not None and getattr(section, "batch_size", 0):
                return int(section.batch_size)
        return 32

    def scores(self, texts: list[str], batch_size: int | None = None, progress: bool = False) -> np.ndarray:
        """(len(texts), len(labels)) probabilities, ``batch_size`` texts at once (None: the model's own)."""
        if not texts:
            return np.zeros((0, len(self.meta.labels)), dtype=np.float32)
        scores = self.scorer.scores(texts, batch_size=batch_size or self.batch_size, progress=progress)
        scores[:, ~self.trained_mask] = 0.0  # no training example: the output means nothing
        return scores

    @property
    def trained_mask(self) -> np.ndarray:
        return np.isin(np.array(self.meta.labels), np.array(self.meta.trained_labels))

    def decide(self, scores: np.ndarray) -> np.ndarray:
        return apply_thresholds(scores, np.asarray(self.meta.thresholds))

    def predict(self, texts: list[str], batch_size: int | None = None) -> list[list[str]]:
        decided = self.decide(self.scores(texts, batch_size))
        return [[self.meta.labels[j] for j in np.flatnonzero(row)] for row in decided]


def dataset_hash(dataset_dict, splits: Iterable[str] = ("train", "dev")) -> str:
    """sha256 of the rows a model learns from (split, id, text, labels)."""
    from annotate.dataset import label_strings

    digest = hashlib.sha256()
    for split in splits:
        if split not in dataset_dict:
            continue
        dataset = dataset_dict[split]
        for row_id, text, labels in zip(dataset["id"], dataset["text"], label_strings(dataset)):
            digest.update(json.dumps([split, row_id, text, labels], ensure_ascii=False).encode())
    return digest.hexdigest()


def model_version(folder: Path, config: TrainConfig, labels: list[str], data_hash: str) -> str:
    settings = config.to_dict()
    settings.pop("data"), settings.pop("output")  # where things are is not what they are
    payload = json.dumps([settings, labels, data_hash], sort_keys=True)
    return f"{Path(folder).name}@{hashlib.sha256(payload.encode()).hexdigest()[:12]}"


def staging_dir(output: Path) -> Path:
    return output.with_name(output.name + ".partial")


def check_output(output: Path, overwrite: bool) -> None:
    """Refuse to replace a trained model unless asked: a model is hours of CPU."""
    if output.exists() and any(output.iterdir()) and not overwrite:
        raise InputError(f"{output}: already holds a model; pass --overwrite to replace it, or choose --out")


def checkpoints_dir(output: Path) -> Path:
    """Checkpoints live beside the output folder, so that folder only ever holds a finished model."""
    return output.with_name(output.name + ".checkpoints")


def prepare_run(output: Path, resume: bool, overwrite: bool) -> Path:
    """Check that a run may write ``output``; return its checkpoints folder.

    A finished model is replaced only with ``overwrite``; checkpoints of an unfinished run
    are either resumed (``resume``) or, with ``overwrite``, removed: never silently mixed
    with a new run.
    """
    checkpoints = checkpoints_dir(output)
    if resume:
        return checkpoints
    check_output(output, overwrite)
    if checkpoints.exists() and any(checkpoints.iterdir()):
        if not overwrite:
            raise InputError(f"{checkpoints}: checkpoints of an unfinished run are here; pass --resume to go "
                             "on from the last one, or --overwrite to start again")
        shutil.rmtree(checkpoints)
    return checkpoints


def replace_with(staging: Path, output: Path) -> None:
    """Put a complete folder in place of ``output`` (checked beforehand by :func:`prepare_run`)."""
    if output.exists():
        shutil.rmtree(output)
    staging.rename(output)


def finish_model(
    staging: Path, output: Path, meta: ModelMeta, config: TrainConfig, metrics: dict
) -> Path:
    """Write the metadata into ``staging`` (weights already there), then move it to ``output``."""
    (staging / META_FILE).write_text(json.dumps({"format": FORMAT, **{
        "family": meta.family, "model_version": meta.model_version, "labels": list(meta.labels),
        "label2id": meta.label2id, "thresholds": dict(zip(meta.labels, meta.thresholds)),
        "trained_labels": list(meta.trained_labels), "data_hash": meta.data_hash,
        "text_column": meta.text_column, "text_prefix": meta.text_prefix,
        "pooling": meta.pooling}}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8")
    (staging / CONFIG_FILE).write_text(yaml.safe_dump(config.to_dict(), sort_keys=False, allow_unicode=True),
                                       encoding="utf-8")
    (staging / METRICS_FILE).write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    replace_with(staging, output)
    return output


def read_meta(path: Path) -> tuple[ModelMeta, TrainConfig]:
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path}: no such model folder")
    for name in (META_FILE, CONFIG_FILE):
        if not (path / name).is_file():
            raise InputError(f"{path}: not a complete model folder (missing {name})")
    meta = _read_meta_file(path / META_FILE)
    for name in WEIGHT_FILES[meta.family]:
        if not (path / name).is_file():
            raise InputError(f"{path}: not a complete model folder (missing {name})")
    # load_yaml: no aliases, and a malformed file is one error naming its line
    return meta, config_from_dict(load_yaml(path / CONFIG_FILE), str(path / CONFIG_FILE))


def _read_meta_file(file: Path) -> ModelMeta:
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise InputError(f"{file}:{err.lineno}: malformed JSON ({err.msg})") from None
    except UnicodeDecodeError:
        raise InputError(f"{file}: not valid UTF-8") from None
    except (ValueError, RecursionError) as err:  # a number too long to read, nesting too deep
        raise InputError(f"{file}: malformed JSON ({cut(str(err), 120)})") from None
    try:
        labels = tuple(raw["labels"])
        meta = ModelMeta(
            family=raw["family"], model_version=raw["model_version"], labels=labels,
            thresholds=_thresholds(raw["thresholds"], labels, file),
            trained_labels=tuple(raw["trained_labels"]), data_hash=raw["data_hash"],
            text_column=raw.get("text_column", "text"), text_prefix=raw.get("text_prefix", ""),
            pooling=raw.get("pooling", "cls"))
    except KeyError as err:
        raise InputError(f"{file}: malformed model metadata (missing key {quote(err.args[0])})") from None
    except (ValueError, TypeError, AttributeError) as err:
        raise InputError(f"{file}: malformed model metadata ({quote(err, 120)})") from None
    if not isinstance(meta.family, str) or meta.family not in WEIGHT_FILES:
        raise InputError(f"{file}: unknown model family {quote(meta.family)}")
    return meta


def _thresholds(table: object, labels: tuple[str, ...], file: Path) -> tuple[float, ...]:
    """One threshold a label, each a number in [0, 1] (NaN would silently predict nothing), or
    just above 1 for a label without training examples (never predicted, see train.models.training)."""
    if not isinstance(table, dict):
        raise InputError(f"{file}: 'thresholds' must map each label to a number")
    thresholds = []
    for label in labels:
        if label not in table:
            raise InputError(f"{file}: no threshold for label {quote(label)}")
        value = table[label]
        if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                or not 0 <= value <= NEVER_PREDICTED):
            raise InputError(f"{file}: threshold of label {quote(label)} is {quote(value)}; "
                             "expected a number from 0 to 1")
        thresholds.append(float(value))
    return tuple(thresholds)


RUNTIMES = ("torch", "onnx")


def load_model(path: Path | str, threads: int = 0, runtime: str = "torch") -> Model:
    """Load a model folder written by `propa train` (either family).

    ``runtime="onnx"`` scores a CamemBERT model with its checked ONNX export
    (`propa export-onnx`) instead of PyTorch.
    """
    path = Path(path)
    meta, config = read_meta(path)
    if runtime not in RUNTIMES:
        raise InputError(f"unknown runtime '{runtime}' (expected one of {', '.join(RUNTIMES)})")
    if meta.family in ("tfidf", "tfidf-encoder"):
        if runtime == "onnx":
            raise InputError(f"{path}: a {meta.family} model has no ONNX path; drop --runtime onnx")
        from train.models.tfidf import load_tfidf

        scorer = load_tfidf(path, meta, threads=threads)
    elif meta.family == "ensemble":
        from train.models.ensemble import load_ensemble

        scorer = load_ensemble(path, meta, threads=threads, runtime=runtime)
        if runtime == "onnx":
            meta = dataclasses.replace(meta, model_version=meta.model_version + "+onnx-members")
    elif runtime == "onnx":
        from train.models.onnx import load_onnx

        scorer, meta = load_onnx(path, meta, threads=threads)
    else:
        from train.models.transformer import load_transformer

        scorer = load_transformer(path, meta, threads=threads)
    return Model(path, meta, config, scorer)
