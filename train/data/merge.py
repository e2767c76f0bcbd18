"""Several datasets -> one: pulls, gold sets, imports, and labelled JSONL, merged by sentence id.

Each input is a dataset folder (`propa pull --out` folder, `propa import-semeval`, `propa data
from-jsonl`, `propa data split`...) or a labelled JSONL (`propa data from-jsonl`'s format, the gold
set's ``gold_fr.jsonl``). Rules, in input order:

- the same sentence id twice: the later input's row wins (its text, labels and annotations); the
  row stays in the split where it was first seen, so a held-out split keeps the same sentences;
  every replacement is counted, per input;
- the splits of a split input are kept; the rows of an unsplit input (one split, ``all``) go to
  ``into`` (default: ``train`` when an input has a train split, else ``all``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from annotate.errors import InputError
from annotate.taxonomy import Taxonomy

UNSPLIT = "all"


@dataclass
class InputCount:
    path: str
    rows: int = 0
    new: int = 0
    replaced: int = 0  # rows of this input that replaced a row of an earlier one


@dataclass
class MergeSummary:
    out: Path | None
    splits: dict[str, int] = field(default_factory=dict)  # rows per split, in the merged dataset
    inputs: list[InputCount] = field(default_factory=list)

    @property
    def replaced(self) -> int:
        return sum(count.replaced for count in self.inputs)


def read_input(path: Path, taxonomy: Taxonomy) -> dict[str, list[dict]]:
    """Rows per split of one input: a dataset folder (or a pull folder, whose dataset/ is read), or a
    labelled JSONL (one split, ``all``). Label ids become technique names."""
    from annotate.dataset import label_names, load_dataset_dict, read_labelled_jsonl
    from annotate.studio.pulled import DATASET_DIR

    path = Path(path)
    if path.is_file():
        if path.suffix != ".jsonl":
            raise InputError(f"{path}: expected a dataset folder or a labelled .jsonl")
        return {UNSPLIT: read_labelled_jsonl(path, taxonomy)}
    if path.is_dir() and not (path / "dataset_dict.json").is_file() and (path / DATASET_DIR).is_dir():
        path = path / DATASET_DIR
    splits = {}
    for split, dataset in load_dataset_dict(path, taxonomy).items():
        names = label_names(dataset)
        rows = dataset.to_list()
        for row in rows:
            row["labels"] = [names[i] for i in row["labels"]]
            row["ties"] = [names[i] for i in row["ties"]]
        splits[split] = rows
    return splits


def merge_splits(inputs: list[tuple[str, dict[str, list[dict]]]], into: str | None = None
                 ) -> tuple[dict[str, list[dict]], list[InputCount]]:
    """Merge rows per split, later inputs winning on the same id (see the module's rules)."""
    if into is None:
        into = "train" if any("train" in splits for _, splits in inputs) else UNSPLIT
    merged: dict[str, dict[str, dict]] = {}  # split -> id -> row, in first-seen order
    where: dict[str, str] = {}  # id -> the split it was first seen in
    counts = []
    for name, splits in inputs:
        count = InputCount(name)
        for split, rows in splits.items():
            target = into if split == UNSPLIT else split
            for row in rows:
                count.rows += 1
                row_id = row["id"]
                if row_id in where:
                    count.replaced += 1
                    merged[where[row_id]][row_id] = row
                else:
                    count.new += 1
                    where[row_id] = target
                    merged.setdefault(target, {})[row_id] = row
        counts.append(count)
    return {split: list(rows.values()) for split, rows in merged.items()}, counts


def merge_datasets(paths: list[Path], taxonomy: Taxonomy, out: Path, into: str | None = None) -> MergeSummary:
    """Read every input, merge them, write the dataset folder ``out`` (atomically)."""
    from annotate.dataset import write_dataset

    if len(paths) < 2:
        raise InputError("give at least two datasets to merge")
    out = Path(out)
    resolved = [Path(p).resolve() for p in paths]
    if out.resolve() in resolved:
        raise InputError(f"{out}: is also an input; write the merge to another folder")
    inputs = [(str(path), read_input(path, taxonomy)) for path in paths]
    splits, counts = merge_splits(inputs, into)
    write_dataset(splits, taxonomy, out)
    return MergeSummary(out, {split: len(rows) for split, rows in splits.items()}, counts)
