"""Family "ensemble": a model folder that averages the scores of other model folders.

Members are any trained model folders with the same labels (for instance a tfidf-encoder
model and a fine-tuned encoder). Their weights (summing to 1) are tuned on the dev split by
a grid search over dev micro-F1, unless the config fixes them; the thresholds are then
tuned on the averaged dev scores like any model's. ``ensemble.json`` records each member's
path (relative to the ensemble folder when it can be) and ``model_version``: loading
refuses a member that was retrained since, and the ensemble's own ``model_version``
depends on its members'. With ``runtime="onnx"``, fine-tuned members score with their
checked ONNX export and the others as they are.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import numpy as np

from annotate.errors import InputError, quote
from train.models.config import EnsembleConfig
from train.models.model import ModelMeta

ENSEMBLE_FILE = "ensemble.json"


class EnsembleScorer:
    def __init__(self, members: list, weights: list[float]):
        self.members = members  # loaded train.models.model.Model objects
        self.weights = weights

    def scores(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        total = None
        for member, weight in zip(self.members, self.weights):
            if weight == 0:
                continue
            part = weight * member.scores(texts, batch_size=batch_size, progress=progress)
            total = part if total is None else total + part
        return total.astype(np.float32)


def weight_grid(members: int, step: float) -> list[tuple[float, ...]]:
    """Every weight vector on the simplex with this step (each >= 0, summing to 1)."""
    units = round(1 / step)
    return [tuple(k / units for k in combo) + ((units - sum(combo)) / units,)
            for combo in itertools.product(range(units + 1), repeat=members - 1) if sum(combo) <= units]


def load_members(paths: list[str], base: Path | None = None, threads: int = 0, runtime: str = "torch") -> list:
    from train.models.model import load_model, read_meta

    members = []
    for path in paths:
        folder = Path(path) if base is None or Path(path).is_absolute() else base / path
        if (folder / ENSEMBLE_FILE).is_file():
            raise InputError(f"{folder}: an ensemble cannot be a member of another (list its members instead)")
        member_runtime = runtime if read_meta(folder)[0].family == "camembert" else "torch"
        members.append(load_model(folder, threads=threads, runtime=member_runtime))
    return members


def fit_ensemble(section: EnsembleConfig, labels: list[str], dev_texts: list[str], dev_truth: np.ndarray,
                 threshold_min_support: int, threads: int = 0) -> tuple[EnsembleScorer, np.ndarray, list[str]]:
    """(scorer with tuned weights, its dev scores, the labels some member was trained on)."""
    from tqdm.auto import tqdm

    from train.models.metrics import calibrate_thresholds, micro_f1

    members = load_members(list(section.members), threads=threads)
    for path, member in zip(section.members, members):
        if member.labels != labels:
            raise InputError(f"{path}: its labels differ from the dataset's (train members on the same taxonomy)")
    dev = [member.scores(dev_texts, progress=True) for member in tqdm(members, desc="scoring dev", unit=" member",
                                                                       leave=False)]
    if section.weights is not None:
        total = sum(section.weights)
        weights = [w / total for w in section.weights]
    else:
        def dev_f1(candidate: tuple[float, ...]) -> float:
            scores = sum(w * s for w, s in zip(candidate, dev))
            return micro_f1(dev_truth.astype(bool), scores >= calibrate_thresholds(dev_truth, scores,
                                                                                    threshold_min_support))
        # Ties: the most even weights (closest to the plain average).
        even = 1 / len(members)
        weights = list(max(weight_grid(len(members), section.weight_step),
                           key=lambda c: (dev_f1(c), -sum(abs(w - even) for w in c))))
    trained = sorted({name for member in members for name in member.meta.trained_labels}, key=labels.index)
    scorer = EnsembleScorer(members, weights)
    return scorer, sum(w * s for w, s in zip(weights, dev)).astype(np.float32), trained


def save_ensemble(scorer: EnsembleScorer, section: EnsembleConfig, staging: Path, output: Path) -> None:
    entries = []
    for path, member, weight in zip(section.members, scorer.members, scorer.weights):
        absolute = Path(path).resolve()
        relative = os.path.relpath(absolute, output.resolve())
        entries.append({"path": relative, "model_version": member.model_version, "family": member.meta.family,
                        "weight": weight})
    (staging / ENSEMBLE_FILE).write_text(json.dumps({"members": entries}, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")


def member_versions(scorer: EnsembleScorer) -> list[str]:
    return [member.model_version for member in scorer.members]


def load_ensemble(folder: Path, meta: ModelMeta, threads: int = 0, runtime: str = "torch") -> EnsembleScorer:
    try:
        entries = json.loads((folder / ENSEMBLE_FILE).read_text(encoding="utf-8"))["members"]
        paths, versions = [e["path"] for e in entries], [e["model_version"] for e in entries]
        weights = [float(e["weight"]) for e in entries]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(f"{folder / ENSEMBLE_FILE}: malformed ensemble file ({quote(err)})") from None
    members = load_members(paths, base=folder, threads=threads, runtime=runtime)
    for path, member, version in zip(paths, members, versions):
        plain = member.model_version.split("+onnx")[0]
        if plain != version:
            raise InputError(f"{folder}: member {path} is now {plain}, not the {version} the ensemble was tuned "
                             "with (retrained?); train the ensemble again")
        if member.labels != list(meta.labels):
            raise InputError(f"{folder}: member {path} has other labels than the ensemble")
    return EnsembleScorer(members, weights)
