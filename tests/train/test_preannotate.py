"""Pre-annotating the sample corpus with a model trained here: streaming, resuming, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from annotate.text.corpus import ingest, read_sentences
from annotate.cues import load_cues
from annotate.errors import InputError
from annotate.taxonomy import load_taxonomy
from tests.conftest import SAMPLES, read_jsonl
from train.models.model import load_model
from train.preannotate import preannotate

TAX = load_taxonomy()


def test_samples_are_pre_annotated_once(model_dir: Path, tmp_path: Path) -> None:
    model, cues = load_model(model_dir), load_cues(TAX)
    out = tmp_path / "pred.jsonl"
    sentences = list(read_sentences(SAMPLES))
    summary = preannotate(iter(sentences), model, TAX, cues, out, batch_size=16)
    assert summary.written == len(sentences) and summary.skipped == 0
    lines = read_jsonl(out)
    assert [line["sentence_id"] for line in lines] == [s.id for s in sentences]
    assert all(line["model_version"] == model.model_version for line in lines)
    assert summary.with_cues > 0 and summary.with_techniques > 0
    texts = {s.id: s.text for s in sentences}
    for line in lines:
        for item in line["result"]:
            if item["type"] == "labels":  # cue offsets point at the cue in the sentence
                assert texts[line["sentence_id"]][item["value"]["start"]:item["value"]["end"]] == item["value"]["text"]
    # Same ids from the articles or from their ingested corpus.
    ingest([SAMPLES], tmp_path / "sentences.jsonl")
    assert [s.id for s in read_sentences(tmp_path / "sentences.jsonl")] == [s.id for s in sentences]

    again = preannotate(iter(sentences), model, TAX, cues, out)
    assert again.written == 0 and again.skipped == len(sentences)
    assert len(read_jsonl(out)) == len(sentences)


def test_a_crash_midway_is_resumed_without_duplicates(model_dir: Path, tmp_path: Path) -> None:
    model = load_model(model_dir)
    out = tmp_path / "pred.jsonl"
    sentences = list(read_sentences(SAMPLES))
    preannotate(iter(sentences[:50]), model, TAX, None, out)
    with out.open("a", encoding="utf-8") as handle:  # a line torn by a crash
        handle.write('{"sentence_id": "' + sentences[50].id + '", "model_ver')
    summary = preannotate(iter(sentences), model, TAX, None, out)
    assert summary.skipped == 50 and summary.written == len(sentences) - 50
    ids = [line["sentence_id"] for line in read_jsonl(out)]
    assert ids == [s.id for s in sentences]


def test_another_model_version_is_not_mixed_in(model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "pred.jsonl"
    out.write_text(json.dumps({"sentence_id": "x:0-1", "model_version": "other@123", "result": []}) + "\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match="other@123"):
        preannotate(read_sentences(SAMPLES), load_model(model_dir), TAX, None, out)
    assert len(read_jsonl(out)) == 1


def test_a_model_of_another_taxonomy_is_refused(model_dir: Path, tmp_path: Path) -> None:
    raw = yaml.safe_load(Path(TAX.path).read_text(encoding="utf-8"))
    raw["categories"][0]["techniques"].pop(0)
    other = tmp_path / "taxonomy.yaml"
    other.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError, match="not in the taxonomy: unsupported_allegation"):
        preannotate(read_sentences(SAMPLES), load_model(model_dir), load_taxonomy(other), None, tmp_path / "p.jsonl")
    assert not (tmp_path / "p.jsonl").exists()


def test_sources_only_needs_no_model(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from annotate.cli import cli

    out = tmp_path / "sources.jsonl"
    done = CliRunner().invoke(cli, ["preannotate", str(SAMPLES), "--sources-only", "-o", str(out)])
    assert done.exit_code == 0, done.output
    lines = read_jsonl(out)
    assert len(lines) == 162 and len({line["model_version"] for line in lines}) == 1
    assert lines[0]["model_version"].startswith("sources@")
    with_sources = [line for line in lines if line["result"]]
    assert len(with_sources) >= 20  # the samples cite sources in most paragraphs
    for line in with_sources:
        assert {item["from_name"] for item in line["result"]} <= {"source", "source_kind", "source_reliability"}
    divers = next(line for line in lines if any(item["value"].get("text") == "Divers" for item in line["result"]))
    kinds = [item["value"]["choices"] for item in divers["result"] if item["from_name"] == "source_kind"]
    assert kinds == [["anonymous_vague"]]
    done = CliRunner().invoke(cli, ["preannotate", str(SAMPLES), "-o", str(tmp_path / "x.jsonl")])
    assert done.exit_code == 1 and "give a model (-m MODEL), or --sources-only" in done.output


def test_the_sources_version_changes_with_the_word_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A word added to a list of configs/attribution.yaml changes what the rules find: the
    model_version of source pre-annotations changes with it."""
    import annotate.sources.attribution.word_lists as word_lists
    from annotate.defaults import configs_dir
    from annotate.sources.attribution import reporting_lemma, words
    from train.predictor import sources_version

    shipped = sources_version(None)
    copy = tmp_path / "attribution.yaml"
    text = (configs_dir() / "attribution.yaml").read_text(encoding="utf-8")
    copy.write_text(text, encoding="utf-8")
    monkeypatch.setattr(word_lists, "configs_dir", lambda: tmp_path)
    try:
        words.cache_clear()
        assert sources_version(None) == shipped  # the same bytes
        copy.write_text(text.replace("chuchoter,", "chuchoter, susurrer,"), encoding="utf-8")
        words.cache_clear()
        assert sources_version(None) != shipped
    finally:
        words.cache_clear()  # the shipped lists again for the tests after this one
        reporting_lemma.cache_clear()
