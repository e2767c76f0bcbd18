"""dataset + config -> a model folder (either family), thresholds tuned on dev."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annotate.errors import InputError
from annotate.taxonomy import Taxonomy
from train.models.config import TrainConfig
from train.models.metrics import calibrate_thresholds, multi_hot, report
from train.models.model import (ModelMeta, dataset_hash, finish_model, model_version, prepare_run,
                         staging_dir)

TRAIN, DEV = "train", "dev"


@dataclass(frozen=True)
class TrainSummary:
    output: Path
    model_version: str
    rows: dict[str, int]
    dev: dict  # metrics at the saved thresholds
    seconds: float
    epochs: float | None = None


def training_splits(dataset_dict, path: str) -> tuple[list[str], dict[str, tuple[list[str], np.ndarray]]]:
    """(label names, {split: (texts, multi-hot truth)}) for the train and dev splits."""
    from annotate.dataset import label_names, label_strings

    for split in (TRAIN, DEV):
        if split not in dataset_dict:
            raise InputError(f"{path}: no '{split}' split (found: {', '.join(dataset_dict)}); "
                             f"make one with `propa data split {path}`")
        if len(dataset_dict[split]) == 0:
            raise InputError(f"{path}: the '{split}' split is empty")
    labels = label_names(dataset_dict[TRAIN])
    if label_names(dataset_dict[DEV]) != labels:
        raise InputError(f"{path}: the train and dev splits name different labels")
    splits = {}
    for split in (TRAIN, DEV):
        dataset = dataset_dict[split]
        splits[split] = (list(dataset["text"]), multi_hot(label_strings(dataset), labels))
    return labels, splits


def train_model(
    config: TrainConfig, taxonomy: Taxonomy, resume: bool = False, overwrite: bool = False, callbacks: tuple = ()
) -> TrainSummary:
    """Train, tune thresholds on dev, write the model folder. ``callbacks`` (transformers
    TrainerCallbacks) are added to a camembert run."""
    from annotate.dataset import load_dataset_dict

    output = Path(config.output)
    if not Path(config.data).exists():
        raise InputError(f"{config.data}: no such dataset; training reads one split into train and dev: make it "
                         f"with `propa data split DATA -o {config.data}` from what `propa pull`, `propa data "
                         "from-jsonl` or `propa import-semeval` wrote, or pass --data")
    checkpoints = prepare_run(output, resume, overwrite)
    dataset_dict = load_dataset_dict(Path(config.data), taxonomy)
    labels, splits = training_splits(dataset_dict, config.data)
    data_hash = dataset_hash(dataset_dict)

    staging = staging_dir(output)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        return _train_into(config, staging, output, checkpoints, labels, splits, data_hash, resume, callbacks)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # left only by a failure: the model moved to output


def _train_into(config: TrainConfig, staging: Path, output: Path, checkpoints: Path, labels: list[str],
                splits: dict, data_hash: str, resume: bool, callbacks: tuple) -> TrainSummary:
    (train_texts, train_truth), (dev_texts, dev_truth) = splits[TRAIN], splits[DEV]
    started = time.perf_counter()
    epochs = None
    tuning: dict = {}  # choices made on dev besides the thresholds (recorded in metrics.json)
    version_basis = data_hash  # what the model_version hashes besides the config and labels
    if config.family in ("tfidf", "tfidf-encoder"):
        from train.models.tfidf import fit_features_model, save_tfidf

        scorer, dev_scores, tuning = fit_features_model(config, train_texts, train_truth, dev_texts, dev_truth)
        save_tfidf(scorer, staging)
        trained = [labels[i] for i in scorer.trained]
    elif config.family == "ensemble":
        from train.models.ensemble import fit_ensemble, member_versions, save_ensemble

        assert config.ensemble is not None
        scorer, dev_scores, trained = fit_ensemble(config.ensemble, labels, dev_texts, dev_truth,
                                                   config.threshold_min_support)
        save_ensemble(scorer, config.ensemble, staging, output)
        # The members are part of what the ensemble is: their versions go into its own.
        version_basis = hashlib.sha256(json.dumps([data_hash, member_versions(scorer)]).encode()).hexdigest()
    else:
        from train.models.transformer import fit_camembert, remove_checkpoints

        assert config.camembert is not None
        fit = fit_camembert(config.camembert, config.seed, labels, train_texts, train_truth, dev_texts, dev_truth,
                            staging, checkpoints, resume, callbacks)
        dev_scores, epochs = fit.dev_scores, fit.epochs_run
        trained = [name for name, seen in zip(labels, train_truth.any(axis=0)) if seen]
    seconds = time.perf_counter() - started

    thresholds = calibrate_thresholds(dev_truth, dev_scores, config.threshold_min_support)
    untrained = ~np.isin(np.array(labels), trained)
    thresholds[untrained] = 1.0 + 1e-6  # never predicted: it had no training example
    dev = report(dev_truth, dev_scores >= thresholds[None, :], labels)
    version = model_version(output, config, labels, version_basis)
    meta = ModelMeta(family=config.family, model_version=version, labels=tuple(labels),
                     thresholds=tuple(float(t) for t in thresholds), trained_labels=tuple(trained),
                     data_hash=data_hash, text_prefix=config.camembert.prefix if config.camembert else "",
                     pooling=config.camembert.pooling if config.camembert else "cls")
    metrics = {"split": DEV, "train_seconds": round(seconds, 1), "epochs": epochs,
               "rows": {TRAIN: len(train_texts), DEV: len(dev_texts)}, **tuning, **dev}
    finish_model(staging, output, meta, config, metrics)
    if config.family == "camembert":
        remove_checkpoints(checkpoints)  # the run is finished: nothing left to resume
    return TrainSummary(output, version, {TRAIN: len(train_texts), DEV: len(dev_texts)}, dev, seconds, epochs)
