"""Learning from the annotators: pull, merge, train, compare, switch.

One retrain (`propa retrain`, and the backend's trainer after every N annotations):

1. pull the project's annotations into ``<work>/pulled`` (incrementally after the first time);
2. merge them with the base training data of the model served (its config's ``data``, or
   ``base_data``): the annotated sentences go into train, except those of the base's dev and test
   splits, which stay there with the annotators' labels (:mod:`train.data.merge`);
3. train a new model folder with the same config (``<work>/models/<name>-r<N>``; a folder is only
   complete once training ends, so a crash never leaves a half-written model to load);
4. score the model served and the new one on the base data's held-out split, which never changes;
5. switch only when the new one is not worse (micro-F1, 4 digits): ``<work>/current.json`` then
   names it, written atomically. A regression keeps the old model; both figures are reported.

The backend reads ``current.json`` at start, so after a restart it serves the last model that won.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from annotate.errors import InputError
from annotate.files import atomic_write
from annotate.taxonomy import Taxonomy

CURRENT_FILE = "current.json"
HELD_OUT = "test"
DIGITS = 4


@dataclass(frozen=True)
class RetrainOutcome:
    switched: bool
    model_dir: Path  # the model to serve after this retrain (the new one, or the one kept)
    model_version: str
    current_f1: float  # the model that was served, on the held-out split
    new_f1: float  # the model just trained, on the same split
    new_model_version: str
    annotated: int  # rows pulled from the project
    rows: dict  # training rows per split of the merged data
    seconds: float
    held_out: str  # "<base data>:<split>"

    def describe(self) -> str:
        verdict = ("switched to" if self.switched else "kept the current model; refused") + \
            f" {self.new_model_version}"
        return (f"{verdict}: held-out micro-F1 {self.new_f1:.{DIGITS}f} (new) vs {self.current_f1:.{DIGITS}f} "
                f"(current) on {self.held_out}; trained on {self.rows.get('train', 0)} rows "
                f"({self.annotated} annotated) in {self.seconds:.1f} s")


def current_model(work: Path, default: Path) -> Path:
    """The model a backend with this work folder serves: the last one a retrain switched to (if its
    folder is still whole), else ``default``."""
    try:
        recorded = json.loads((Path(work) / CURRENT_FILE).read_text(encoding="utf-8"))
        folder = Path(recorded["model"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return Path(default)
    from train.models.model import read_meta

    try:
        read_meta(folder)
    except InputError:
        return Path(default)
    return folder


def _generation(work: Path) -> int:
    models = Path(work) / "models"
    numbers = [int(p.name.rsplit("-r", 1)[1]) for p in models.glob("*-r*") if p.name.rsplit("-r", 1)[1].isdigit()] \
        if models.is_dir() else []
    return max(numbers, default=0) + 1


def retrain(conn, taxonomy: Taxonomy, project: str, model_dir: Path, work: Path, base_data: Path | None = None,
            overrides: tuple[str, ...] = (), threads: int = 0) -> RetrainOutcome:
    """One retrain of the model at ``model_dir`` on the project's annotations (see the module)."""
    from annotate.studio.pull import pull
    from train.data.merge import merge_datasets
    from train.models.config import load_train_config
    from train.models.evaluate import evaluate_dataset
    from train.models.model import CONFIG_FILE, load_model, read_meta
    from train.models.training import train_model

    started = time.monotonic()
    work, model_dir = Path(work), Path(model_dir)
    _, config = read_meta(model_dir)
    base = Path(base_data or config.data)
    if not base.exists():
        raise InputError(f"{base}: the base training data of {model_dir} is not there; pass --base-data "
                         "(a dataset folder with train, dev and test splits)")
    pulled = pull(conn, taxonomy, project, work / "pulled")
    if pulled.counts.rows == 0:
        raise InputError(f"project '{project}' has no usable annotation yet: nothing to learn from")
    generation = _generation(work)
    merged = work / "data" / f"r{generation}"
    merge_summary = merge_datasets([base, work / "pulled"], taxonomy, merged, into="train")
    name = f"{model_dir.name.rsplit('-r', 1)[0]}-r{generation}"
    new_config = load_train_config(model_dir / CONFIG_FILE,
                                   (f"data={merged}", f"output={work / 'models' / name}", *overrides))
    trained = train_model(new_config, taxonomy, overwrite=True)
    current, new = load_model(model_dir, threads=threads), load_model(trained.output, threads=threads)
    current_f1 = round(evaluate_dataset(current, base, HELD_OUT, taxonomy)["micro_f1"], DIGITS)
    new_f1 = round(evaluate_dataset(new, base, HELD_OUT, taxonomy)["micro_f1"], DIGITS)
    switched = new_f1 >= current_f1
    if switched:
        with atomic_write(work / CURRENT_FILE) as handle:
            json.dump({"model": str(trained.output.resolve()), "model_version": trained.model_version,
                       "previous": str(model_dir.resolve()), "held_out_micro_f1": new_f1,
                       "previous_micro_f1": current_f1}, handle, indent=2)
    else:
        shutil.rmtree(trained.output, ignore_errors=True)
    kept = trained.output if switched else model_dir
    return RetrainOutcome(switched, kept, trained.model_version if switched else current.model_version,
                          current_f1, new_f1, trained.model_version, pulled.counts.rows,
                          dict(merge_summary.splits), time.monotonic() - started, f"{base}:{HELD_OUT}")
