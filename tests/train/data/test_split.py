"""Article-grouped, label-stratified train/dev/test splits (train/data/split.py)."""

import random
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from annotate.dataset import load_dataset_dict, rows_to_dataset, write_dataset
from annotate.errors import InputError
from annotate.taxonomy import load_taxonomy
from tests.builders import write_semeval
from train.data.split import (
    fractions_for,
    label_table,
    language_group_split,
    language_table,
    split_dataset,
    stratified_group_split,
)

THREE = {"train": 0.6, "dev": 0.2, "test": 0.2}
COMMON = ["Loaded_Language", "Doubt", "vague_sourcing"]
RARE = "Slogans"


def synthetic(n_articles: int = 60) -> tuple[list[str], list[list[str]]]:
    """Articles of 1 to 5 rows (180 rows for 60 articles); three common labels mixed by a
    fixed pattern, some rows without a label, and a rarer label on at most one row per article."""
    groups, label_sets = [], []
    for article in range(n_articles):
        for row in range(article % 5 + 1):
            groups.append(f"art{article:02d}")
            pattern = (article * 7 + row * 3) % 11
            labels = [name for bit, name in enumerate(COMMON) if pattern >> bit & 1]
            if (article + row) % 9 == 0:
                labels.append(RARE)
            label_sets.append(labels)
    return groups, label_sets


def split_of_article(groups: list[str], indices: dict[str, list[int]]) -> dict[str, set[str]]:
    """Article -> the set of splits its rows went to."""
    where: dict[str, set[str]] = {}
    for name, rows in indices.items():
        for row in rows:
            where.setdefault(groups[row], set()).add(name)
    return where


def assignment(groups: list[str], label_sets: list[list[str]], seed: int) -> dict[str, str]:
    plan = stratified_group_split(groups, label_sets, THREE, seed)
    return {article: splits.pop() for article, splits in split_of_article(groups, plan.indices).items()}


def test_every_row_once_and_articles_whole() -> None:
    groups, label_sets = synthetic()
    plan = stratified_group_split(groups, label_sets, THREE, seed=13)
    assert list(plan.indices) == ["train", "dev", "test"]
    every_row = sorted(row for rows in plan.indices.values() for row in rows)
    assert every_row == list(range(len(groups)))
    assert all(len(splits) == 1 for splits in split_of_article(groups, plan.indices).values())


def test_deterministic_for_a_seed_and_seed_dependent() -> None:
    groups, label_sets = synthetic()
    assert stratified_group_split(groups, label_sets, THREE, 5) == stratified_group_split(groups, label_sets, THREE, 5)
    # Ties are broken by a seeded shuffle: some seed among a handful must move an article.
    assignments = {tuple(sorted(assignment(groups, label_sets, seed).items())) for seed in range(5)}
    assert len(assignments) > 1


@pytest.mark.parametrize("fractions", [THREE, {"train": 0.8, "dev": 0.1, "test": 0.1}, {"train": 0.7, "dev": 0.3}])
@pytest.mark.parametrize("seed", [0, 1, 13])
def test_sizes_follow_the_fractions(fractions: dict[str, float], seed: int) -> None:
    groups, label_sets = synthetic()
    n_rows = len(groups)
    plan = stratified_group_split(groups, label_sets, fractions, seed)
    # Articles (up to 5 rows) are placed whole, and by label need before size, so a split
    # may overshoot by a few articles: allow three of the largest (15 of 180 rows). Over
    # 200 seeds the worst deviation measured was 10 rows.
    for name, rows in plan.indices.items():
        assert abs(len(rows) - fractions[name] * n_rows) <= 15, (name, len(rows))


def test_rarest_label_is_placed_in_proportion() -> None:
    # The rarest label is placed first, one article at a time to the split that wants it
    # most; each of its articles holds one such row, so every split ends within one row of
    # its share (20 rows -> 12 / 4 / 4).
    groups, label_sets = synthetic()
    total = sum(RARE in labels for labels in label_sets)
    assert total == 20
    for seed in (0, 1, 13):
        plan = stratified_group_split(groups, label_sets, THREE, seed)
        for name, rows in plan.indices.items():
            assert abs(sum(RARE in label_sets[row] for row in rows) - THREE[name] * total) < 1


def rare_label_case() -> tuple[list[str], list[list[str]]]:
    """Twelve articles of two rows with a common label; the rare label on one row of three of them."""
    groups, label_sets = [], []
    for article in range(12):
        groups += [f"a{article:02d}"] * 2
        label_sets += [["Loaded_Language"], ["Loaded_Language", RARE] if article in (2, 5, 9) else []]
    return groups, label_sets


def rare_splits(groups: list[str], label_sets: list[list[str]], plan) -> Counter:
    return Counter(name for name, rows in plan.indices.items() for row in rows if RARE in label_sets[row])


@pytest.mark.parametrize("seed", [0, 1, 2, 13])
def test_rare_label_spread_when_the_fractions_allow(seed: int) -> None:
    # Wants 1.5 / 0.75 / 0.75: the first article goes to train (1.5 -> 0.5), the next two
    # to the splits still wanting 0.75.
    groups, label_sets = rare_label_case()
    plan = stratified_group_split(groups, label_sets, {"train": 0.5, "dev": 0.25, "test": 0.25}, seed)
    assert rare_splits(groups, label_sets, plan) == {"train": 1, "dev": 1, "test": 1}


@pytest.mark.parametrize("seed", [0, 1, 2, 13])
def test_rare_label_with_small_dev_and_test(seed: int) -> None:
    # Wants 1.8 / 0.6 / 0.6: train takes the first two (1.8 -> 0.8 -> -0.2), the third
    # goes to dev or test. With 0.8 / 0.1 / 0.1 (wants 2.4 / 0.3 / 0.3) all three stay in
    # train: what is guaranteed is that train, the largest split, gets the first of them.
    groups, label_sets = rare_label_case()
    plan = stratified_group_split(groups, label_sets, THREE, seed)
    placed = rare_splits(groups, label_sets, plan)
    assert placed["train"] == 2 and placed["dev"] + placed["test"] == 1
    plan = stratified_group_split(groups, label_sets, {"train": 0.8, "dev": 0.1, "test": 0.1}, seed)
    assert rare_splits(groups, label_sets, plan) == {"train": 3}


def test_articles_without_labels_are_placed_by_size() -> None:
    groups = [f"a{i}" for i in range(6)]
    plan = stratified_group_split(groups, [[] for _ in groups], {"train": 0.5, "dev": 0.25, "test": 0.25}, seed=3)
    sizes = {name: len(rows) for name, rows in plan.indices.items()}
    assert sizes["train"] == 3 and sizes["dev"] >= 1 and sizes["test"] >= 1
    assert sum(sizes.values()) == 6


def test_unlabelled_articles_mixed_with_labelled_ones() -> None:
    groups = ["a", "a", "b", "c", "d", "e", "f"]
    label_sets = [["Doubt"], [], ["Doubt"], [], [], [], []]
    plan = stratified_group_split(groups, label_sets, {"train": 0.5, "dev": 0.5}, seed=1)
    assert sorted(row for rows in plan.indices.values() for row in rows) == list(range(7))
    assert all(len(splits) == 1 for splits in split_of_article(groups, plan.indices).values())


def test_a_split_left_empty_takes_an_article() -> None:
    # All three articles carry the same label and train wants it most each time (2.4, 1.4,
    # 0.4 against 0.3): dev and test each take an article back from train.
    groups = ["a", "b", "c"]
    plan = stratified_group_split(groups, [["Doubt"]] * 3, {"train": 0.8, "dev": 0.1, "test": 0.1})
    assert sorted(len(rows) for rows in plan.indices.values()) == [1, 1, 1]


@pytest.mark.parametrize(("fractions", "message"), [
    ({}, "no split"),
    ({"train": 0.5, "dev": 0.3}, "must sum to 1"),
    ({"train": 1.0}, "between 0 and 1"),
    ({"train": 1.2, "dev": -0.2}, "'train': fraction 1.2"),
    ({"train": 0.9, "dev": 0.1, "test": 0.0}, "'test': fraction 0.0"),
])
def test_bad_fractions(fractions: dict[str, float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        stratified_group_split(["a", "b", "c"], [[], [], []], fractions)


def test_fewer_articles_than_splits() -> None:
    with pytest.raises(InputError, match="2 article"):
        stratified_group_split(["a", "a", "b"], [["Doubt"], [], []], THREE)


def test_fractions_for() -> None:
    assert fractions_for(0.1, 0.1) == pytest.approx({"train": 0.8, "dev": 0.1, "test": 0.1})
    assert fractions_for(0.2, 0) == pytest.approx({"train": 0.8, "dev": 0.2})  # no test split


@pytest.mark.parametrize(("dev", "test", "message"), [
    (0, 0.1, "--dev must be above 0"),
    (0.5, 0.5, "leave nothing to train on"),
    (0.6, 0.5, "leave nothing to train on"),
    (-0.1, 0.1, "--dev -0.1"),
    (0.1, -0.1, "--test -0.1"),
    (1.0, 0, "--dev 1.0"),
])
def test_fractions_for_errors(dev: float, test: float, message: str) -> None:
    with pytest.raises(InputError, match=message):
        fractions_for(dev, test)


TAXONOMY = load_taxonomy()


def row(article: str, index: int, labels: list[str]) -> dict:
    return {"id": f"{article}:{index * 10}-{index * 10 + 9}", "task_id": -1, "article_id": article,
            "paragraph_index": index, "start": index * 10, "end": index * 10 + 9, "text": f"phrase {index}",
            "paragraph": f"phrase {index}", "title": article, "outlet": "", "date": "", "labels": labels,
            "ties": [], "annotations": []}


def small_dataset():
    """Four articles, nine rows."""
    rows = [
        row("a", 0, ["vague_sourcing"]), row("a", 1, ["vague_sourcing", "Loaded_Language"]), row("a", 2, []),
        row("b", 0, ["Loaded_Language"]), row("b", 1, []),
        row("c", 0, ["Loaded_Language"]), row("c", 1, ["Doubt"]),
        row("d", 0, []), row("d", 1, ["vague_sourcing"]),
    ]
    return rows_to_dataset(rows, TAXONOMY)


def test_split_dataset_and_label_table() -> None:
    dataset = small_dataset()
    splits = split_dataset(dataset, {"train": 0.5, "dev": 0.25, "test": 0.25}, seed=13)
    assert list(splits) == ["train", "dev", "test"]
    assert sum(len(part) for part in splits.values()) == 9
    articles = {name: set(part["article_id"]) for name, part in splits.items()}
    assert all(articles.values())
    assert set.union(*articles.values()) == {"a", "b", "c", "d"}
    assert sum(len(found) for found in articles.values()) == 4  # no article in two splits

    names, columns = label_table(splits)
    assert names[:3] == ["rows", "articles", "rows with a label"]
    assert names[3:] == TAXONOMY.label_names
    by_article = {"a": (3, 2, {"vague_sourcing": 2, "Loaded_Language": 1}), "b": (2, 1, {"Loaded_Language": 1}),
                  "c": (2, 2, {"Loaded_Language": 1, "Doubt": 1}), "d": (2, 1, {"vague_sourcing": 1})}
    for split, found in articles.items():
        expected = Counter()
        for article in found:
            expected.update(by_article[article][2])
        column = columns[split]
        assert column["rows"] == sum(by_article[a][0] for a in found)
        assert column["articles"] == len(found)
        assert column["rows with a label"] == sum(by_article[a][1] for a in found)
        assert {name: column[name] for name in TAXONOMY.label_names if column[name]} == dict(expected)


def test_label_table_by_hand() -> None:
    from datasets import DatasetDict

    dataset = small_dataset()
    names, columns = label_table(DatasetDict({"train": dataset.select([0, 1, 2, 3, 4]), "dev": dataset.select([7])}))
    assert len(names) == 3 + len(TAXONOMY.label_names)
    train = columns["train"]
    assert (train["rows"], train["articles"], train["rows with a label"]) == (5, 2, 3)
    assert (train["vague_sourcing"], train["Loaded_Language"], train["Doubt"]) == (2, 2, 0)
    assert columns["dev"] == {name: 0 for name in names} | {"rows": 1, "articles": 1}


def test_split_dataset_refuses_an_empty_dataset() -> None:
    with pytest.raises(InputError, match="empty"):
        split_dataset(rows_to_dataset([], TAXONOMY), {"train": 0.8, "dev": 0.2})


def test_an_empty_split_takes_an_article_from_a_split_that_has_several() -> None:
    # One big article and three small ones: whatever the seed, all three splits get an article.
    groups = ["A"] * 10 + ["B", "C", "D"]
    labels = [["X"]] * 13
    for seed in range(10):
        plan = stratified_group_split(groups, labels, {"train": 0.5, "dev": 0.4, "test": 0.1}, seed=seed)
        assert all(plan.indices[name] for name in ("train", "dev", "test")), seed


# -- dev and test from one language ----------------------------------------------------

def two_language_rows(seed: int = 0) -> list[dict]:
    """60 French articles (180 rows) and 40 English ones (120 rows), interleaved in a seeded order."""
    rows = []
    for code, n_articles in (("fr", 60), ("en", 40)):
        groups, label_sets = synthetic(n_articles)
        index = Counter()
        for group, labels in zip(groups, label_sets):
            rows.append(row(f"{code}/{group}", index[group], labels) | {"language": code})
            index[group] += 1
    random.Random(seed).shuffle(rows)
    return rows


def ids_by_split(splits) -> dict[str, list[str]]:
    return {name: sorted(part["id"]) for name, part in splits.items()}


def test_eval_language_keeps_other_languages_in_train() -> None:
    dataset = rows_to_dataset(two_language_rows(), TAXONOMY)
    splits = split_dataset(dataset, THREE, seed=13, eval_language="fr")
    assert sum(len(part) for part in splits.values()) == 300
    for name in ("dev", "test"):
        assert set(splits[name]["language"]) == {"fr"}
        # the fractions apply to the 180 French rows (36 each), articles whole
        assert abs(len(splits[name]) - 0.2 * 180) <= 15, (name, len(splits[name]))
    assert Counter(splits["train"]["language"])["en"] == 120
    articles = [set(part["article_id"]) for part in splits.values()]
    assert sum(len(found) for found in articles) == 100  # no article in two splits


@pytest.mark.parametrize("seed", [0, 13])
def test_the_target_language_is_split_as_it_would_be_alone(seed: int) -> None:
    rows = two_language_rows(seed)
    french = [r for r in rows if r["language"] == "fr"]
    alone = ids_by_split(split_dataset(rows_to_dataset(french, TAXONOMY), THREE, seed))
    together = split_dataset(rows_to_dataset(rows, TAXONOMY), THREE, seed, eval_language="fr")
    french_part = {name: sorted(i for i, code in zip(part["id"], part["language"]) if code == "fr")
                   for name, part in together.items()}
    assert french_part == alone
    assert alone["dev"] and alone["test"]
    # and the rows' order in the input does not matter either
    reordered = split_dataset(rows_to_dataset(list(reversed(rows)), TAXONOMY), THREE, seed, eval_language="fr")
    assert ids_by_split(reordered) == ids_by_split(together)


def test_language_group_split_by_hand() -> None:
    languages = ["en", "fr", "fr", "en", "fr", "fr", "de"]
    groups = ["e1", "f1", "f1", "e2", "f2", "f3", "d1"]
    label_sets = [["Doubt"], ["Doubt"], [], [], ["Doubt"], [], ["Doubt"]]
    plan = language_group_split(languages, groups, label_sets, {"train": 0.4, "dev": 0.3, "test": 0.3}, "fr", seed=1)
    assert {0, 3, 6} <= set(plan.indices["train"])
    assert sorted(row for rows in plan.indices.values() for row in rows) == list(range(7))
    # three French articles, three splits: one each
    french_splits = {groups[r]: name for name, rows in plan.indices.items() for r in rows if languages[r] == "fr"}
    assert sorted(french_splits.values()) == ["dev", "test", "train"]


def test_eval_language_errors() -> None:
    dataset = rows_to_dataset(two_language_rows(), TAXONOMY)
    with pytest.raises(InputError, match=r"no row has language 'it' .*\(rows per language: en 120, fr 180\)"):
        split_dataset(dataset, THREE, eval_language="it")
    shared = [row("x", 0, ["Doubt"]) | {"language": "en"}, row("x", 1, []) | {"language": "fr"},
              row("y", 0, []) | {"language": "fr"}, row("z", 0, []) | {"language": "fr"}]
    with pytest.raises(InputError, match="article 'x' has rows in 'fr' and in 'en'"):
        split_dataset(rows_to_dataset(shared, TAXONOMY), THREE, eval_language="fr")
    with pytest.raises(InputError, match="no 'train' split"):
        language_group_split(["fr", "fr"], ["a", "b"], [[], []], {"fit": 0.5, "dev": 0.5}, "fr")


def test_without_eval_language_the_split_is_unchanged() -> None:
    rows = two_language_rows()
    dataset = rows_to_dataset(rows, TAXONOMY)
    plan = stratified_group_split([r["article_id"] for r in rows], [r["labels"] for r in rows], THREE, 13)
    splits = split_dataset(dataset, THREE, seed=13)
    assert ids_by_split(splits) == {name: sorted(rows[i]["id"] for i in indices)
                                    for name, indices in plan.indices.items()}
    assert "en" in list(splits["dev"]["language"]) + list(splits["test"]["language"])


def test_language_table() -> None:
    from datasets import DatasetDict

    dataset = rows_to_dataset(two_language_rows(), TAXONOMY)
    splits = split_dataset(dataset, THREE, eval_language="fr")
    table = language_table(splits)
    assert list(table) == ["train", "dev", "test"]
    assert list(table["train"]) == ["fr", "en"]  # by decreasing row count
    assert table["dev"]["en"] == table["test"]["en"] == 0 and table["train"]["en"] == 120
    assert sum(column["fr"] for column in table.values()) == 180
    assert language_table(DatasetDict({"all": small_dataset()})) == {}  # one language (unknown): nothing to show


def run_cli(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_split_and_stats_commands_with_eval_language(tmp_path: Path) -> None:
    write_dataset({"all": two_language_rows()}, TAXONOMY, tmp_path / "data")
    result = run_cli("data", "split", tmp_path / "data", "-o", tmp_path / "split", "--dev", 0.2, "--test", 0.2,
                     "--eval-language", "fr")
    assert result.exit_code == 0, result.output
    assert "(dev/test: 'fr' only; train has 120 rows of other languages) ->" in result.output
    splits = load_dataset_dict(tmp_path / "split", TAXONOMY)
    assert set(splits["dev"]["language"]) == set(splits["test"]["language"]) == {"fr"}

    again = run_cli("data", "split", tmp_path / "data", "-o", tmp_path / "again", "--dev", 0.2, "--test", 0.2,
                    "--eval-language", "fr")
    assert ids_by_split(load_dataset_dict(tmp_path / "again")) == ids_by_split(splits), again.output

    stats = run_cli("data", "stats", tmp_path / "split").output.splitlines()
    assert stats[1].split()[0] == "rows"
    fr, en = stats[2].split(), stats[3].split()
    assert fr[0] == "fr" and en == ["en", "120", "0", "0"]
    assert [int(v) for v in fr[1:]] == [len(splits[name].filter(lambda r: r["language"] == "fr"))
                                        for name in ("train", "dev", "test")]
    as_json = run_cli("data", "stats", tmp_path / "split", "--json").output
    assert '"languages": {' in as_json and '"en": 120' in as_json

    result = run_cli("data", "split", tmp_path / "data", "-o", tmp_path / "none", "--eval-language", "it")
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("Error: no row has language 'it'")
    assert not (tmp_path / "none").exists()


def test_french_split_same_with_and_without_other_languages_from_import(tmp_path: Path) -> None:
    french = write_semeval(tmp_path / "semeval2023-fr" / "train")
    english = write_semeval(tmp_path / "multi" / "en" / "train")
    for args, name in [((french,), "fr"), ((french, english), "multi")]:
        assert run_cli("import-semeval", *args, "-o", tmp_path / name).exit_code == 0
    split_args = ("--dev", 0.3, "--test", 0.3)
    assert run_cli("data", "split", tmp_path / "fr", "-o", tmp_path / "fr-split", *split_args).exit_code == 0
    result = run_cli("data", "split", tmp_path / "multi", "-o", tmp_path / "multi-split", *split_args,
                     "--eval-language", "fr")
    assert result.exit_code == 0, result.output
    alone = ids_by_split(load_dataset_dict(tmp_path / "fr-split"))
    together = ids_by_split(load_dataset_dict(tmp_path / "multi-split"))
    assert {name: [i.removeprefix("fr/") for i in ids if i.startswith("fr/")] for name, ids in together.items()} \
        == alone
    assert not any(i.startswith("en/") for name in ("dev", "test") for i in together[name])
    assert sum(i.startswith("en/") for i in together["train"]) == 10
