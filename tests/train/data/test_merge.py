"""Merging datasets (train/data/merge.py): the later input wins on the same id, rows stay in the
split they were first seen in, unsplit inputs go to --into, and every replacement is counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from annotate.dataset import label_strings, load_dataset_dict, write_dataset
from annotate.errors import InputError
from annotate.taxonomy import load_taxonomy
from train.data.merge import merge_datasets, merge_splits

TAX = load_taxonomy()
SL, VS = "speculative_link", "vague_sourcing"


def row(row_id: str, labels: list[str], text: str = "Une phrase.") -> dict:
    article, _, span = row_id.partition(":")
    start, _, end = span.partition("-")
    return {"id": row_id, "task_id": -1, "article_id": article, "paragraph_index": 0, "start": int(start),
            "end": int(end), "text": text, "paragraph": text, "title": "", "outlet": "", "date": "",
            "labels": labels, "ties": [], "annotations": []}


def test_the_later_input_wins_and_the_row_keeps_its_first_split() -> None:
    base = {"train": [row("a:0-5", [SL]), row("a:6-9", [])], "test": [row("b:0-5", [VS])]}
    pulled = {"all": [row("b:0-5", [SL]), row("c:0-5", [VS])]}
    splits, counts = merge_splits([("base", base), ("pulled", pulled)])
    assert [r["id"] for r in splits["train"]] == ["a:0-5", "a:6-9", "c:0-5"]  # unsplit rows go to train
    assert [(r["id"], r["labels"]) for r in splits["test"]] == [("b:0-5", [SL])]  # replaced, still in test
    assert [(c.path, c.rows, c.new, c.replaced) for c in counts] == [("base", 3, 3, 0), ("pulled", 2, 1, 1)]


def test_unsplit_inputs_stay_unsplit_or_go_where_asked() -> None:
    first, second = {"all": [row("a:0-5", [SL])]}, {"all": [row("a:0-5", []), row("b:0-5", [VS])]}
    splits, counts = merge_splits([("1", first), ("2", second)])
    assert list(splits) == ["all"] and [r["labels"] for r in splits["all"]] == [[], [VS]]
    assert counts[1].replaced == 1
    assert list(merge_splits([("1", first), ("2", second)], into="dev")[0]) == ["dev"]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_merge_folders_pull_folders_and_jsonl(tmp_path: Path) -> None:
    write_dataset({"train": [row("a:0-5", [SL])], "test": [row("b:0-5", [VS])]}, TAX, tmp_path / "base")
    write_dataset({"all": [row("b:0-5", [SL, VS])]}, TAX, tmp_path / "pulled" / "dataset")  # as `propa pull` writes
    extra = write_jsonl(tmp_path / "extra.jsonl", [{"article_id": "c", "text": "Selon des sources, oui.",
                                                    "labels": [VS]}])
    summary = merge_datasets([tmp_path / "base", tmp_path / "pulled", extra], TAX, tmp_path / "merged")
    merged = load_dataset_dict(tmp_path / "merged", TAX)
    assert summary.splits == {"train": 2, "test": 1} and summary.replaced == 1
    assert label_strings(merged["test"]) == [[SL, VS]]
    assert sorted(merged["train"]["article_id"]) == ["a", "c"]


def test_cli_reports_each_input_and_the_replacements(tmp_path: Path) -> None:
    write_dataset({"all": [row("a:0-5", [SL]), row("b:0-5", [])]}, TAX, tmp_path / "one")
    write_dataset({"all": [row("b:0-5", [VS])]}, TAX, tmp_path / "two")
    result = CliRunner().invoke(cli, ["data", "merge", str(tmp_path / "one"), str(tmp_path / "two"),
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{tmp_path / 'one'}: 2 rows, 2 new, 0 replacing an earlier input's"
    assert lines[1] == f"{tmp_path / 'two'}: 1 rows, 0 new, 1 replacing an earlier input's"
    assert lines[2] == f"2 rows (all 2); 1 replaced by a later input -> {tmp_path / 'out'}"


@pytest.mark.parametrize("make, message", [
    (lambda t: [t / "one"], "at least two datasets"),
    (lambda t: [t / "one", t / "out"], "is also an input"),
    (lambda t: [t / "one", (t / "x.txt", (t / "x.txt").write_text("x"))[0]], "expected a dataset folder or a labelled"),
    (lambda t: [t / "one", t / "missing"], "no such dataset"),
])
def test_bad_inputs_are_one_line(tmp_path: Path, make, message: str) -> None:
    write_dataset({"all": [row("a:0-5", [SL])]}, TAX, tmp_path / "one")
    write_dataset({"all": [row("b:0-5", [SL])]}, TAX, tmp_path / "out")
    with pytest.raises(InputError, match=message):
        merge_datasets(make(tmp_path), TAX, tmp_path / "out")
    assert load_dataset_dict(tmp_path / "out")["all"]["id"] == ["b:0-5"]  # nothing written over
