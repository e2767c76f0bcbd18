"""Train/dev/test splits that keep articles whole and label proportions even.

Sentences of one article share topic, author and style: a split that scatters them leaks
the article into both sides and flatters every model. So articles are the unit, and they
are assigned by iterative stratification (Sechidis, Tsoumakas & Vlahavas, 2011) adapted
to groups: the rarest label still to place is placed first, each article going to the
split that still needs the most of that label, so rare techniques end up in every split
in proportion. Deterministic for a given seed.

With a target language (the recipe of the multilingual SemEval-2023 winners), dev and test
are drawn from that language's rows alone and every other language's rows train: the
thresholds tuned on dev are then tuned for the language the model is meant for. The
target language's rows are split exactly as they would be without the other languages,
so a multilingual model and a one-language model are scored on the same dev and test.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass

from annotate.errors import InputError

TRAIN = "train"


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


def language_group_split(
    languages: list[str], groups: list[str], label_sets: list[list[str]], fractions: dict[str, float],
    target: str, seed: int = 13,
) -> SplitPlan:
    """Split the ``target`` language's rows by :func:`stratified_group_split`; every other row goes to train.

    The fractions apply to the target language's rows. Its assignment depends on its own
    rows only (not on their positions among the others'), so adding or removing other
    languages leaves it unchanged. An article with rows in the target language and in
    another would end up on both sides: that is an error.
    """
    if len(languages) != len(groups):
        raise ValueError("languages and groups differ in length")
    if TRAIN not in fractions:
        raise InputError(f"split fractions {fractions} have no '{TRAIN}' split for the other languages' rows")
    chosen = [index for index, language in enumerate(languages) if language == target]
    if not chosen:
        found = Counter(languages)
        listed = ", ".join(f"{code or '(none)'} {count}" for code, count in sorted(found.items()))
        raise InputError(f"no row has language '{target}' to draw dev and test from (rows per language: {listed})")
    target_groups = {groups[index] for index in chosen}
    for index, language in enumerate(languages):
        if language != target and groups[index] in target_groups:
            raise InputError(f"article '{groups[index]}' has rows in '{target}' and in '{language or '(none)'}': "
                             "article ids must differ across languages (import the folders together with "
                             "`propa import-semeval`, which prefixes them)")
    plan = stratified_group_split([groups[i] for i in chosen], [label_sets[i] for i in chosen], fractions, seed)
    split_of = {chosen[row]: name for name, rows in plan.indices.items() for row in rows}
    indices: dict[str, list[int]] = {name: [] for name in fractions}
    for index in range(len(groups)):
        indices[split_of.get(index, TRAIN)].append(index)
    return SplitPlan(indices)


def row_languages(dataset) -> list[str]:
    """The language column, or "" for every row of a dataset without one."""
    if "language" in dataset.column_names:
        return list(dataset["language"])
    return [""] * len(dataset)


def split_dataset(dataset, fractions: dict[str, float], seed: int = 13, eval_language: str | None = None):
    """A Dataset -> DatasetDict with the given splits (articles kept whole).

    With ``eval_language``, dev and test come from that language's rows only and all
    other rows go to train (:func:`language_group_split`).
    """
    from datasets import DatasetDict

    from annotate.dataset import label_strings

    if len(dataset) == 0:
        raise InputError("the dataset is empty: nothing to split")
    groups, label_sets = list(dataset["article_id"]), label_strings(dataset)
    if eval_language is None:
        plan = stratified_group_split(groups, label_sets, fractions, seed)
    else:
        plan = language_group_split(row_languages(dataset), groups, label_sets, fractions, eval_language, seed)
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


def language_table(dataset_dict) -> dict[str, dict[str, int]]:
    """Per split: rows per language, when the dataset holds more than one language; else {}.

    Languages are ordered by decreasing row count over all splits; every split lists them all.
    """
    per_split = {split: Counter(row_languages(dataset)) for split, dataset in dataset_dict.items()}
    total = sum(per_split.values(), Counter())
    if len(total) < 2:
        return {}
    order = sorted(total, key=lambda code: (-total[code], code))
    return {split: {code: counts[code] for code in order} for split, counts in per_split.items()}
