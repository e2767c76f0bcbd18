"""The gold corpus: the checked-in build matches its YAML sources, the corpus has the size
and balance the datasheet claims, and a mistake in a gold file is named precisely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from annotate.cli import cli
from annotate.text.corpus import read_sentences
from annotate.dataset import read_labelled_jsonl
from annotate.errors import InputError
from annotate.quality.gold import ARTICLES_FILE, GOLD_FILE, build_gold, find_span, load_gold_article, read_gold_rows
from annotate.taxonomy import load_taxonomy
from tests.conftest import ROOT

TAX = load_taxonomy()
GOLD = ROOT / "corpus" / "gold"
SOURCING = ("unsupported_allegation", "speculative_link", "vague_sourcing")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return read_gold_rows(GOLD / GOLD_FILE)


@pytest.mark.parametrize("folder", [GOLD, GOLD / "heldout"], ids=["gold", "heldout"])
def test_checked_in_build_is_up_to_date(tmp_path: Path, folder: Path) -> None:
    build_gold(folder / "src", tmp_path, TAX)
    for name in (ARTICLES_FILE, GOLD_FILE):
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), \
            f"{folder / name} is stale: run `propa gold build {folder / 'src'} -o {folder}`"


def test_size_and_balance(rows: list[dict]) -> None:
    articles = {row["article_id"] for row in rows}
    assert len(articles) >= 40 and len(rows) >= 600
    assert {row["style"] for row in rows} == {"wire", "opinion", "state_media", "conspiracy_blog", "fact_check"}
    assert {row["topic"] for row in rows} == {"war", "elections", "health", "energy", "migration", "economy"}
    for technique in SOURCING:
        positives = sum(technique in row["labels"] for row in rows)
        hard = sum(technique in row["hard_negative"] for row in rows)
        assert positives >= 50 and hard >= 30, (technique, positives, hard)
    assert sum(1 for row in rows if not row["labels"]) >= 0.4 * len(rows)  # clean text is most of the news
    with_sources = {row["article_id"] for row in rows if row["sources"]}
    assert len(with_sources) >= 30 and sum(len(row["sources"]) for row in rows) >= 200


def test_every_span_is_where_it_says(rows: list[dict]) -> None:
    for row in rows:
        text = row["text"]
        for cue in row["cues"]:
            assert text[cue["start"]:cue["end"]] == cue["text"] and cue["technique"] in row["labels"]
        for source in row["sources"]:
            for part in (source["mention"], source["cue"], source.get("content")):
                if part is not None:
                    assert text[part["start"]:part["end"]] == part["text"]
            assert source["kind"] in TAX.kind_ids


def test_ids_match_ingest_and_rows_load_as_a_dataset(rows: list[dict]) -> None:
    sentences = list(read_sentences(GOLD / ARTICLES_FILE))
    assert [s.id for s in sentences] == [row["id"] for row in rows]
    assert [s.text for s in sentences] == [row["text"] for row in rows]
    dataset_rows = read_labelled_jsonl(GOLD / GOLD_FILE, TAX)
    assert [r["id"] for r in dataset_rows] == [row["id"] for row in rows]
    assert all(sorted(r["labels"]) == sorted(row["labels"]) for r, row in zip(dataset_rows, rows))


def test_find_span_occurrences() -> None:
    assert find_span("selon X, selon Y", "selon", 2, "w") == (9, 14)
    with pytest.raises(InputError, match="occurs 2 time"):
        find_span("selon X, selon Y", "selon", 3, "w")
    # whole words only: the "on" of "a-t-on" is not the one inside "réunion", nor "il" inside "scellé, il"
    text = "La réunion est prévue, a-t-on appris."
    assert find_span(text, "on", 1, "w") == (text.index("-on") + 1, text.index("-on") + 3)
    assert find_span("Un fil, dit-il.", "il", 1, "w") == (12, 14)
    assert find_span("(ASI) et l'ASI", "(ASI)", 1, "w") == (0, 5)
    with pytest.raises(InputError, match="occurs 1 time.*whole words"):
        find_span(text, "on", 2, "w")
    with pytest.raises(InputError, match="'d'après' is not in the sentence"):
        find_span("selon X", "d'après", 1, "w")


def gold_file(folder: Path, name: str = "g99-test", **changes) -> Path:
    article = {
        "id": name, "style": "wire", "topic": "war", "outlet": "Agence centrale de presse", "date": "2026-01-02",
        "title": {"text": "Un titre sans histoire", "labels": []},
        "paragraphs": [[
            {"text": "Selon des sources, l'armée avance.", "labels": ["vague_sourcing"],
             "cues": [{"technique": "vague_sourcing", "text": "Selon des sources"}],
             "sources": [{"text": "des sources", "cue": "Selon", "kind": "anonymous_vague"}]},
            {"text": "L'Insee a publié ses chiffres mardi.", "labels": [], "hard_negative": ["vague_sourcing"]},
        ]],
    }
    for dotted, value in changes.items():
        target = article
        *path, last = dotted.split("__")
        for key in path:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(article, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_a_good_file_builds(tmp_path: Path) -> None:
    gold = load_gold_article(gold_file(tmp_path), TAX)
    assert [row["text"] for row in gold.rows] == ["Un titre sans histoire", "Selon des sources, l'armée avance.",
                                                  "L'Insee a publié ses chiffres mardi."]
    source = gold.rows[1]["sources"][0]
    assert source["mention"] == {"start": 6, "end": 17, "text": "des sources"} and source["cue"]["start"] == 0
    assert gold.rows[2]["hard_negative"] == ["vague_sourcing"]


@pytest.mark.parametrize("changes, message", [
    ({"paragraphs__0__0__labels": ["vague_sourcing", "Invented"]}, "'Invented', which is not a technique"),
    ({"paragraphs__0__0__cues__0__text": "selon des sources"}, "'selon des sources' is not in the sentence"),
    ({"paragraphs__0__1__labels": ["Doubt"]}, "label 'Doubt' has no cue span"),
    ({"paragraphs__0__0__cues__0__technique": "Doubt"}, "technique 'Doubt' is not among the sentence's labels"),
    ({"paragraphs__0__0__sources__0__kind": "blog"}, "unknown kind 'blog'"),
    ({"paragraphs__0__0__sources__0__cue": "D'après"}, "source 1 cue: 'D'après' is not in the sentence"),
    ({"paragraphs__0__0__text": "Selon des sources, c'est le Dr."},  # "Dr." does not end a sentence
     r"paragraph 1: the project's splitter cuts it into 1 sentence\(s\), not the 2 written"),
    ({"paragraphs__0__0__text": "Selon des sources, l'armée avance. Elle recule."}, "cuts it into 3 sentence"),
    ({"style": "tabloid"}, "style 'tabloid' is not one of"),
    ({"id": "g98-other"}, "id 'g98-other' must equal the file name"),
    ({"paragraphs__0__1__hard_negative": ["Doubt", "Doubt"]}, "lists a technique twice"),
    ({"paragraphs__0__0__hard_negative": ["vague_sourcing"]}, "both a label and a hard negative"),
    ({"paragraphs__0__0__colour": "red"}, "unknown key"),
])
def test_mistakes_are_named(tmp_path: Path, changes: dict, message: str) -> None:
    path = gold_file(tmp_path, **changes)
    with pytest.raises(InputError, match=message) as caught:
        load_gold_article(path, TAX)
    assert str(path) in str(caught.value)


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "g97-broken.yaml"
    path.write_text('id: g97-broken\ntitle: {text: "a\nparagraphs: [\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"g97-broken.yaml: line \d+ not valid YAML"):
        load_gold_article(path, TAX)


def test_cli_build(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    gold_file(tmp_path / "src")
    done = CliRunner().invoke(cli, ["gold", "build", str(tmp_path / "src"), "-o", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    assert "1 articles, 3 sentences (1 with a technique), 1 attributions" in done.output
    records = [json.loads(line) for line in (tmp_path / "out" / ARTICLES_FILE).read_text().splitlines()]
    assert records[0]["text"] == "Selon des sources, l'armée avance. L'Insee a publié ses chiffres mardi."
    done = CliRunner().invoke(cli, ["gold", "build", str(tmp_path / "nothing")])
    assert done.exit_code == 1 and "no such folder" in done.output
