"""The Ray engine's pure parts, without Ray: articles located and read back part by part as the
local readers give them (text files, JSONL and CSV articles, JSONL and Parquet corpora), the plan of
shards and pieces, the manifest read and checked, the addresses accepted."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from annotate.errors import InputError
from annotate.text.corpus import read_sentences
from annotate.text.parts import Part, locate, read_part
from annotate.files import file_sha256
from train.ray_engine import MANIFEST, Manifest, _check_shards, input_fingerprint, plan, shard_name
from tests.conftest import ROOT, SAMPLES

GOLD_ARTICLES = ROOT / "corpus" / "gold" / "articles.jsonl"


def corpus_line(article: str, start: int) -> str:
    return json.dumps({"id": f"{article}:{start}-{start + 5}", "article_id": article, "paragraph_index": 1,
                       "start": start, "end": start + 5, "text": "Texte."}) + "\n"


def read_back(path: Path, encoding: str | None = None) -> list:
    """The sentences of INPUT as the workers get them: each article's part read on its own."""
    return [s for part, _ in locate(path, encoding) for article in read_part(part, encoding) for s in article]


def test_text_files_jsonl_and_csv_articles_read_back_part_by_part(tmp_path: Path) -> None:
    assert read_back(SAMPLES) == list(read_sentences(SAMPLES))
    assert read_back(GOLD_ARTICLES) == list(read_sentences(GOLD_ARTICLES))
    records = [json.loads(line) for line in GOLD_ARTICLES.read_text(encoding="utf-8").splitlines()[:4]]
    csv = tmp_path / "a.csv"
    import csv as csv_module

    with csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv_module.DictWriter(handle, fieldnames=["id", "title", "text"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
    assert read_back(csv) == list(read_sentences(csv)) and len({s.article_id for s in read_back(csv)}) == 4


def test_a_jsonl_corpus_reads_back_from_byte_ranges_with_its_line_numbers(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from annotate.cli import cli

    corpus = tmp_path / "gold.jsonl"
    assert CliRunner().invoke(cli, ["ingest", str(GOLD_ARTICLES), "-o", str(corpus)]).exit_code == 0
    located = list(locate(corpus))
    assert read_back(corpus) == list(read_sentences(corpus))
    assert sum(count for _, count in located) == len(list(read_sentences(corpus)))
    assert located[1][0].line == located[0][1] + 1  # the second article begins on the line after the first
    # a malformed line read by a worker is named by its line in the file
    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    second = located[1][0]
    lines[second.line - 1] = "{not json\n"
    corpus.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError, match=rf"gold.jsonl:{second.line}: malformed JSON"):
        list(read_part(second))


def test_a_parquet_corpus_reads_back_across_row_groups(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [json.loads(corpus_line(article, start)) for article in "abcdefg" for start in range(0, 30, 6)]
    path = tmp_path / "c.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=7)  # articles straddle row groups
    assert pq.ParquetFile(path).num_row_groups == 5
    parts = [part for part, _ in locate(path)]
    assert [(p.start, p.end) for p in parts] == [(i, i + 5) for i in range(0, 35, 5)]
    assert read_back(path) == list(read_sentences(path))
    pq.write_table(pa.Table.from_pylist([{k: v for k, v in r.items() if k != "text"} for r in rows]), path)
    with pytest.raises(InputError, match="c.parquet: missing column"):
        list(locate(path))


def test_a_corpus_whose_articles_are_not_together_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(corpus_line("a", 0) + corpus_line("b", 0) + corpus_line("a", 6), encoding="utf-8")
    with pytest.raises(InputError, match="c.jsonl:3: the sentences of article a are not together"):
        list(locate(corpus))


def test_duplicate_article_ids_across_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text(json.dumps({"id": "a1", "title": "T", "text": "Un texte."}) + "\n",
                                      encoding="utf-8")
    (tmp_path / "y.jsonl").write_text(json.dumps({"id": "a1", "title": "T", "text": "Un autre."}) + "\n",
                                      encoding="utf-8")
    with pytest.raises(InputError, match="y.jsonl:1: duplicate article id 'a1'"):
        list(locate(tmp_path))


def test_the_plan_cuts_shards_into_pieces_of_joined_parts() -> None:
    everything = plan(GOLD_ARTICLES, None, shard_size=5, done=set(), piece_size=2)
    articles = len(GOLD_ARTICLES.read_text(encoding="utf-8").splitlines())
    assert everything.shards == -(-articles // 5) and sum(everything.articles.values()) == articles
    assert everything.sentences is None  # articles: split by the workers
    first = [Part(**p) for p in json.loads(everything.pieces[0]["parts"])]
    assert len(first) == 1 and first[0].articles == 2  # two lines of one file: one part
    assert [p["piece"] for p in everything.pieces if p["shard"] == 0] == [0, 1, 2]  # 5 articles: 2 + 2 + 1
    assert everything.per_shard[0] == 3
    rest = plan(GOLD_ARTICLES, None, shard_size=5, done={shard_name(0), shard_name(2)}, piece_size=2)
    assert {p["shard"] for p in rest.pieces} == set(range(everything.shards)) - {0, 2}
    assert rest.shards == everything.shards
    parts = [Part(**p) for piece in everything.pieces for p in json.loads(piece["parts"])]
    assert [s for p in parts for a in read_part(p) for s in a] == list(read_sentences(GOLD_ARTICLES))


def test_the_fingerprint_follows_the_input_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Titre\n\nUn texte.\n", encoding="utf-8")
    before = input_fingerprint(tmp_path)
    assert input_fingerprint(tmp_path) == before
    (tmp_path / "a.txt").write_text("Titre\n\nUn autre texte.\n", encoding="utf-8")
    assert input_fingerprint(tmp_path) != before


def test_the_manifest_keeps_only_shards_as_written(tmp_path: Path) -> None:
    manifest = Manifest("m@1", "/in", 3)
    for index in range(3):
        (tmp_path / shard_name(index)).write_text(f"{index}\n", encoding="utf-8")
        written = tmp_path / shard_name(index)
        manifest.shards[written.name] = {"articles": 3, "sentences": 1, "sha256": file_sha256(written)}
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


def test_a_part_is_plain_data() -> None:
    part = Part("/x.jsonl", "articles", 10, 20, 2)
    assert Part(**json.loads(json.dumps(asdict(part)))) == part
    assert part.joined(Part("/x.jsonl", "articles", 20, 31, 3)) == Part("/x.jsonl", "articles", 10, 31, 2, 2)
    assert part.joined(Part("/x.jsonl", "articles", 25, 31, 4)) is None
    assert Part("/a.txt", "txt").joined(Part("/a.txt", "txt")) is None


@pytest.mark.parametrize("address, fine", [("auto", True), ("ray://head:10001", True), ("10.0.0.5:6379", True),
                                           ("head", False), ("http://head:8265", False)])
def test_addresses(address: str, fine: bool) -> None:
    from annotate.cli.options import ray_settings

    given = {"ray_engine": "ray", "ray_address": address, "ray_workers": 3, "ray_cpus_per_worker": 1.0,
             "ray_gpus_per_worker": 0.0, "ray_shard_size": 10, "ray_ship": False, "other": 1}
    if fine:
        engine, options = ray_settings(given)
        assert (engine, options.address, options.workers, options.shard_size) == ("ray", address, 3, 10)
        assert given == {"other": 1}  # the Ray options taken out of the command's arguments
    else:
        with pytest.raises(InputError, match=f"--address {address}: expected"):
            ray_settings(given)


def test_bad_input_is_named_before_anything_is_written(model_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from train.ray_engine import LabelSpec, run_on_ray

    bad = tmp_path / "mal.jsonl"
    bad.write_text(json.dumps({"id": "a", "title": "T", "text": "Un texte."}) + "\n{bad\n", encoding="utf-8")
    with pytest.raises(InputError, match="mal.jsonl:2: malformed JSON"):
        run_on_ray(bad, LabelSpec(str(model_dir)), tmp_path / "out")  # fails in the driver's pass: Ray not started
    assert not (tmp_path / "out").exists()
