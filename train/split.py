"""Train/dev/test splits that keep articles whole and label proportions even.

Sentences of one article share topic, author and style: a split that scatters them leaks
the article into both sides and flatters every model. So articles are the unit, and they
are assigned by iterative stratification (Sechidis, Tsoumakas & Vlahavas, 2011) adapted
to groups: the rarest label still to place is placed first, each article going to the
split that still needs the most of that label, so rare techniques end up in every split
in proportion. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass

from annotate.errors import InputError


@dataclass(frozen=True)
class SplitPlan:
    """Row indices per split name."""

    indices: dict[str, list[int]]


def _check_fractions(fractions: dict[str, float]) -> None:
    if not fractions:
        raise InputError("no split asked for")
    for name, fraction in fractions.items():
        if not 0 < fraction < 1:
            raise InputError(f"split '{name}': fraction {fraction} must be between 0 and 1")
    if abs(sum(fractions.values()) - 1) > 1e-6:
        raise InputError(f"split fractions {fractions} must sum to 1")


def stratified_group_split(
    groups: list[str], label_sets: list[list[str]], fractions: dict[str, float], seed: int = 13
) -> SplitPlan:
    """Assign rows to splits, whole groups (articles) at a time, label proportions balanced.

    ``groups[i]`` is the article of row i, ``label_sets[i]`` its labels; ``fractions`` maps
    split names to the share of rows each should get (summing to 1). Every split gets at
    least one article, or an error says there are too few.
    """
    _check_fractions(fractions)
    if len(groups) != len(label_sets):
        raise ValueError("groups and label_sets differ in length")
    names = list(fractions)
    rows_of: dict[str, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        rows_of[group].append(index)
    if len(rows_of) < len(names):
        raise InputError(f"{len(rows_of)} article(s) cannot fill {len(names)} splits ({', '.join(names)})")

    rng = random.Random(seed)
    order = sorted(rows_of)
    rng.shuffle(order)  # ties are broken by this seeded order, not by article id
    counts = {g: Counter(label for i in rows_of[g] for label in set(label_sets[i])) for g in order}
    total = Counter()
    for group in order:
        total.update(counts[group])
    n_rows = len(groups)
    want_label = {name: {label: fractions[name] * total[label] for label in total} for name in names}
    want_size = {name: fractions[name] * n_rows for name in names}
    assigned: dict[str, str] = {}

    def place(group: str, name: str) -> None:
        assigned[group] = name
        want_size[name] -= len(rows_of[group])
        for label, count in counts[group].items():
            want_label[name][label] -= count

    remaining = list(order)
    while remaining:
        left = Counter()
        for group in remaining:
            left.update(counts[group])
        if not left:
            break
        # The rarest label still to place; ties by name so that the order is stable.
        label = min(left, key=lambda lab: (left[lab], lab))
        holders = [g for g in remaining if counts[g][label]]
        for group in holders:
            best = max(names, key=lambda n: (want_label[n][label], want_size[n]))
            place(group, best)
        remaining = [g for g in remaining if g not in assigned]
    for group in remaining:  # articles without any label: fill by size
        place(group, max(names, key=lambda n: want_size[n]))

    _ensure_nonempty(assigned, names, rows_of)
    indices = {name: [] for name in names}
    for index, group in enumerate(groups):
        indices[assigned[group]].append(index)
    return SplitPlan(indices)


def _ensure_nonempty(assigned: dict[str, str], names: list[str], rows_of: dict[str, list[int]]) -> None:
    """A split left with no article takes the smallest article of the biggest split that has two or more."""
    for name in names:
        if name in assigned.values():
            continue
        members: dict[str, list[str]] = defaultdict(list)
        for group, split in assigned.items():
            members[split].append(group)
        donors = [split for split, groups in members.items() if len(groups) >= 2]
        if not donors:
            raise InputError(f"too few articles ({len(rows_of)}) to fill split '{name}'")
        donor = max(donors, key=lambda s: (sum(len(rows_of[g]) for g in members[s]), s))
        assigned[min(members[donor], key=lambda g: (len(rows_of[g]), g))] = name


def fractions_for(dev: float, test: float) -> dict[str, float]:
    """The split fractions for the `--dev`/`--test` options (a zero share drops the split)."""
    for name, value in (("dev", dev), ("test", test)):
        if not 0 <= value < 1:
            raise InputError(f"--{name} {value}: expected a fraction between 0 and 1")
    if dev <= 0:
        raise InputError("--dev must be above 0: thresholds and early stopping are tuned on the dev split")
    if dev + test >= 1:
        raise InputError(f"--dev {dev} + --test {test} leave nothing to train on")
    fractions = {"train": 1 - dev - test, "dev": dev}
    if test > 0:
        fractions["test"] = test
    return fractions


def split_dataset(dataset, fractions: dict[str, float], seed: int = 13):
    """A Dataset -> DatasetDict with the given splits (articles kept whole)."""
    from datasets import DatasetDict

    from annotate.dataset import label_strings

    if len(dataset) == 0:
        raise InputError("the dataset is empty: nothing to split")
    plan = stratified_group_split(list(dataset["article_id"]), label_strings(dataset), fractions, seed)
    return DatasetDict({name: dataset.select(rows) for name, rows in plan.indices.items()})


def label_table(dataset_dict) -> tuple[list[str], dict[str, dict[str, int]]]:
    """Per split: number of rows, articles and rows per label. Returns (row names, {split: counts})."""
    from annotate.dataset import label_names, label_strings

    splits = list(dataset_dict)
    names = label_names(dataset_dict[splits[0]]) if splits else []
    columns: dict[str, dict[str, int]] = {}
    for split in splits:
        dataset = dataset_dict[split]
        counts = Counter(label for labels in label_strings(dataset) for label in labels)
        column = {"rows": len(dataset), "articles": len(set(dataset["article_id"])),
                  "rows with a label": sum(1 for labels in dataset["labels"] if labels)}
        column.update({name: counts[name] for name in names})
        columns[split] = column
    return ["rows", "articles", "rows with a label", *names], columns
