"""The Ray engine's pure parts, without Ray: articles as units (a corpus grouped back by article),
the manifest read and checked, the address accepted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.errors import InputError
from train.ray_engine import MANIFEST, Manifest, _check_shards, _sha256, input_units, shard_name
from tests.conftest import SAMPLES


def corpus_line(article: str, start: int) -> str:
    return json.dumps({"id": f"{article}:{start}-{start + 5}", "article_id": article, "paragraph_index": 1,
                       "start": start, "end": start + 5, "text": "Texte."}) + "\n"


def test_a_corpus_comes_back_as_its_articles(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(corpus_line("a", 0) + corpus_line("a", 6) + corpus_line("b", 0), encoding="utf-8")
    units = list(input_units(corpus))
    assert [[s["id"] for s in u["sentences"]] for u in units] == [["a:0-5", "a:6-11"], ["b:0-5"]]
    corpus.write_text(corpus_line("a", 0) + corpus_line("b", 0) + corpus_line("a", 6), encoding="utf-8")
    with pytest.raises(InputError, match="sentences of article a are not together"):
        list(input_units(corpus))


def test_articles_are_units_to_split_by_the_workers() -> None:
    units = list(input_units(SAMPLES))
    assert len(units) == 8 and all(set(u["article"]) >= {"id", "title", "text"} for u in units)
    assert "origin" not in units[0]["article"]


def test_a_missing_input_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nowhere: no such file or folder"):
        list(input_units(tmp_path / "nowhere"))


def test_the_manifest_keeps_only_shards_as_written(tmp_path: Path) -> None:
    manifest = Manifest("m@1", "/in", 3)
    for index in range(3):
        (tmp_path / shard_name(index)).write_text(f"{index}\n", encoding="utf-8")
        written = tmp_path / shard_name(index)
        manifest.shards[written.name] = {"articles": 3, "sentences": 1, "sha256": _sha256(written)}
    manifest.write(tmp_path)
    (tmp_path / shard_name(1)).write_text("changed\n", encoding="utf-8")
    (tmp_path / shard_name(2)).unlink()
    read = Manifest.read(tmp_path)
    _check_shards(tmp_path, read)
    assert list(read.shards) == [shard_name(0)] and not (tmp_path / shard_name(1)).exists()
    assert list(Manifest.read(tmp_path).shards) == [shard_name(0)]  # written back
    (tmp_path / MANIFEST).write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="manifest.json: not a manifest"):
        Manifest.read(tmp_path)


@pytest.mark.parametrize("address, fine", [("auto", True), ("ray://head:10001", True), ("10.0.0.5:6379", True),
                                           ("head", False), ("http://head:8265", False)])
def test_addresses(address: str, fine: bool) -> None:
    from annotate.cli.preannotate import _address_ok

    assert _address_ok(address) is fine
