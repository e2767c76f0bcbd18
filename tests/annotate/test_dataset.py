"""The dataset schema: labelled JSONL import, saving and loading (empty splits included)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.dataset import (
    OPTIONAL_COLUMNS,
    dataset_features,
    label_strings,
    load_dataset_dict,
    read_labelled_jsonl,
    rows_to_dataset,
    write_dataset,
)
from annotate.errors import InputError
from annotate.taxonomy import load_taxonomy

TAX = load_taxonomy()


def write_lines(path: Path, *records) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                            for r in records), encoding="utf-8")
    return path


def test_labelled_jsonl_rows(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "l.jsonl",
        {"article_id": "a", "text": "Selon des sources, tout va mal.", "labels": ["vague_sourcing"]},
        {"article_id": "a", "text": "Une caste corrompue.", "labels": ["Loaded_Language", "vague_sourcing"]},
        {"article_id": "b", "text": "Rien.", "labels": [], "id": "b:custom"})
    rows = read_labelled_jsonl(path, TAX)
    assert [r["id"] for r in rows] == ["a:0-31", "a:32-52", "b:custom"]
    assert rows[1]["labels"] == ["vague_sourcing", "Loaded_Language"]  # taxonomy order
    write_dataset({"all": rows}, TAX, tmp_path / "d")
    loaded = load_dataset_dict(tmp_path / "d", TAX)["all"]
    assert label_strings(loaded) == [r["labels"] for r in rows]


@pytest.mark.parametrize("line, message", [
    ('{"article_id": "a", "text": "x", "labels": ["nope"]}', ":2: label 'nope' is not in"),
    ('{"article_id": "a", "labels": []}', ":2: missing field 'text'"),
    ('{"article_id": "a", "text": "x", "labels": "vague_sourcing"}', ":2: 'labels' must be a list"),
    ('{"article_id": "a", "text": "x",', ":2: malformed JSON"),
    ('{"article_id": "a", "text": "x", "labels": [], "id": "a:0-14"}', ":2: duplicate id 'a:0-14'"),
])
def test_labelled_jsonl_errors_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = write_lines(tmp_path / "l.jsonl", {"article_id": "a", "text": "Premier texte.", "labels": []}, line)
    with pytest.raises(InputError, match=message):
        read_labelled_jsonl(path, TAX)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_labelled_jsonl(tmp_path / "none.jsonl", TAX)
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty file"):
        read_labelled_jsonl(tmp_path / "empty.jsonl", TAX)


def test_an_empty_split_survives_saving(tmp_path: Path) -> None:
    write_dataset({"all": []}, TAX, tmp_path / "d")
    assert len(load_dataset_dict(tmp_path / "d", TAX)["all"]) == 0


def test_loading_something_else_says_what_it_is_not(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such dataset"):
        load_dataset_dict(tmp_path / "nowhere")
    with pytest.raises(InputError, match="no dataset_dict.json"):
        load_dataset_dict(tmp_path)


def test_language_column_defaults_to_empty(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "l.jsonl", {"article_id": "a", "text": "Rien.", "labels": []})
    rows = read_labelled_jsonl(path, TAX)
    assert "language" not in rows[0]
    rows.append(dict(rows[0], id="b:0-5", article_id="b", language="en"))
    write_dataset({"all": rows}, TAX, tmp_path / "d")
    loaded = load_dataset_dict(tmp_path / "d", TAX)["all"]
    assert list(loaded["language"]) == ["", "en"]
    assert list(loaded["decisions"]) == [[], []]


def save_old_dataset(rows: list[dict], path: Path) -> None:
    """A dataset as written before the optional columns existed: none of them saved."""
    from datasets import Dataset, DatasetDict, Features

    features = Features({name: feature for name, feature in dataset_features(TAX).items()
                         if name not in OPTIONAL_COLUMNS})
    old = {split: Dataset.from_dict({name: [row[name] for row in part] for name in features}, features=features)
           for split, part in (("train", rows[:1]), ("dev", rows[1:]))}
    DatasetDict(old).save_to_disk(str(path))


def test_a_dataset_saved_without_the_optional_columns_still_loads(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "l.jsonl",
        {"article_id": "a", "text": "Selon des sources, tout va mal.", "labels": ["vague_sourcing"]},
        {"article_id": "b", "text": "Une caste corrompue.", "labels": ["Loaded_Language"]})
    rows = read_labelled_jsonl(path, TAX)
    save_old_dataset(rows, tmp_path / "old")
    from datasets import load_from_disk

    assert "language" not in load_from_disk(str(tmp_path / "old"))["train"].column_names  # really old

    loaded = load_dataset_dict(tmp_path / "old", TAX)
    assert list(loaded) == ["train", "dev"]
    for split, row in (("train", rows[0]), ("dev", rows[1])):
        dataset = loaded[split]
        assert set(dataset.column_names) == set(dataset_features(TAX))
        assert list(dataset["id"]) == [row["id"]] and label_strings(dataset) == [row["labels"]]
        assert list(dataset["language"]) == [""] and list(dataset["decisions"]) == [[]]
        assert dataset.features["language"] == dataset_features(TAX)["language"]
    # and it can be split, mixed with new rows, and saved again like any dataset
    from datasets import concatenate_datasets

    pooled = concatenate_datasets([*loaded.values(), rows_to_dataset([dict(rows[0], id="c:0-31", article_id="c",
                                                                          language="fr")], TAX)])
    assert list(pooled["language"]) == ["", "", "fr"]
