"""The source-span tagger: words and B/I/O tags (pure), its examples (gold and pulled files, bad
input named), and, marked slow, a tagger trained on a tiny encoder, saved, loaded and combined
with the attribution rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.errors import InputError
from train.models.span_tagger import (
    MAX_WORDS,
    META_FILE,
    SpanExample,
    SpanTagger,
    TaggerSettings,
    _trimmed,
    examples_fingerprint,
    gold_span_examples,
    pulled_span_examples,
    spans_of,
    word_tags,
    words,
)


def cut(text: str) -> list[str]:
    return [text[s:e] for s, e in words(text)]


def test_words_split_elisions_and_punctuation_as_the_gold_spans_are_cut() -> None:
    assert cut("Selon l'agence Xinhua, «c'est faux».") == \
        ["Selon", "l'", "agence", "Xinhua", ",", "«", "c'", "est", "faux", "»", "."]
    assert cut("Le Dr Jean-Paul Roux (OMS)") == ["Le", "Dr", "Jean-Paul", "Roux", "(", "OMS", ")"]


def test_word_tags_mark_the_first_word_of_each_span_b() -> None:
    text = "Selon l'agence Xinhua, le ministère a menti."
    start = text.index("l'agence")
    second = text.index("le ministère")
    cut_words, tags = word_tags(text, [(start, text.index(",")), (second, second + len("le ministère"))])
    tagged = [(text[s:e], t) for (s, e), t in zip(cut_words, tags)]
    assert tagged == [("Selon", 0), ("l'", 1), ("agence", 2), ("Xinhua", 2), (",", 0), ("le", 1), ("ministère", 2),
                      ("a", 0), ("menti", 0), (".", 0)]


def test_spans_of_reads_runs_back_into_character_spans() -> None:
    text = "Selon l'agence Xinhua, le ministère a menti."
    cut_words, tags = word_tags(text, [(6, 21), (23, 35)])
    assert [text[s:e] for s, e in spans_of(cut_words, tags)] == ["l'agence Xinhua", "le ministère"]
    # an I after O opens a span; a B right after a run closes it
    assert spans_of([(0, 1), (2, 3), (4, 5), (6, 7)], [0, 2, 2, 1]) == [(2, 5), (6, 7)]
    # a run too long to be a mention is dropped
    long = [(i * 2, i * 2 + 1) for i in range(MAX_WORDS + 1)]
    assert spans_of(long, [1] + [2] * MAX_WORDS) == []


def test_trimmed_spans_lose_outer_punctuation_but_keep_brackets_and_quotes() -> None:
    text = ", le ministère, « La Voix » (ASI)"
    assert [text[s:e] for s, e in _trimmed(text, [(0, 15), (16, 27), (28, 33), (0, 1)])] == \
        ["le ministère", "« La Voix »", "(ASI)"]


def test_gold_examples_keep_sentences_without_a_source(tmp_path: Path) -> None:
    rows = [
        {"id": "a:0-10", "article_id": "a", "text": "Il pleut.", "labels": [], "sources": []},
        {"id": "a:11-50", "article_id": "a", "text": "Selon l'ONG Vigie, tout va mal.", "labels": [],
         "sources": [{"mention": {"start": 6, "end": 17, "text": "l'ONG Vigie"}, "cue": None, "kind": "expert_ngo"},
                     {"mention": None, "cue": None, "kind": "other"}]},
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    examples = gold_span_examples(path)
    assert examples == [SpanExample("Il pleut.", ()), SpanExample("Selon l'ONG Vigie, tout va mal.", ((6, 17),))]
    assert gold_span_examples(path, articles={"b"}) == []


def test_pulled_examples_one_per_annotation_source_spans_only(tmp_path: Path) -> None:
    row = {"id": "s1", "text": "Selon l'ONG Vigie, tout va mal.", "annotations": [
        {"annotator": "a", "spans": [{"start": 6, "end": 17, "label": "source", "kind": "expert_ngo"},
                                     {"start": 19, "end": 30, "label": "Loaded_Language"}]},
        {"annotator": "b", "spans": []}]}
    folder = tmp_path / "pulled"
    folder.mkdir()
    (folder / "annotations.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert pulled_span_examples(folder, "source") == \
        [SpanExample(row["text"], ((6, 17),)), SpanExample(row["text"], ())]
    (folder / "annotations.jsonl").write_text(json.dumps(row) + "\n" + json.dumps({"text": "x"}) + "\n",
                                              encoding="utf-8")
    with pytest.raises(InputError, match=r"annotations.jsonl:2: not a row of `propa pull`"):
        pulled_span_examples(folder, "source")
    with pytest.raises(InputError, match="no such file"):
        pulled_span_examples(tmp_path / "nowhere", "source")


def test_a_folder_that_is_not_a_tagger_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"not a source-span tagger .*propa sources train-tagger"):
        SpanTagger.load(tmp_path)
    (tmp_path / META_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=f"{META_FILE}: not valid JSON"):
        SpanTagger.load(tmp_path)
    (tmp_path / META_FILE).write_text(json.dumps({"format": 99}), encoding="utf-8")
    with pytest.raises(InputError, match="not a tagger of format"):
        SpanTagger.load(tmp_path)


def test_examples_with_no_span_teach_nothing() -> None:
    with pytest.raises(InputError, match="no source span"):
        SpanTagger.train([SpanExample("Il pleut.", ())], TaggerSettings(encoder="scratch"), progress=False)


def test_fingerprint_follows_the_examples() -> None:
    one = [SpanExample("Selon X, oui.", ((6, 7),))]
    assert examples_fingerprint(one) == examples_fingerprint(list(one))
    assert examples_fingerprint(one) != examples_fingerprint([SpanExample("Selon X, oui.", ((0, 5),))])


# ---------------------------------------------------------------- trained (slow)

SPEAKERS = ["le ministère de la Défense", "l'agence Korvan Info", "la préfecture de Hessal", "l'ONG Vigie Santé",
            "le maire de Brenzia", "la Croix-Rouge", "un porte-parole de l'armée", "le journal La Voix"]
FRAMES = ["Selon {}, les tirs ont cessé.", "{} affirme que la route est coupée.", "D'après {}, rien n'a changé.",
          "Le pont est fermé, a indiqué {}."]


def synthetic_examples() -> list[SpanExample]:
    examples = []
    for i, speaker in enumerate(SPEAKERS):
        for frame in FRAMES:
            text = frame.format(speaker)
            if text[0].islower():
                text = text[0].upper() + text[1:]
            start = text.lower().index(speaker.lower())
            examples.append(SpanExample(text, ((start, start + len(speaker)),)))
        examples.append(SpanExample(f"La pluie est tombée sur la ville pendant {i + 2} jours.", ()))
    return examples


@pytest.fixture(scope="module")
def trained(tiny_encoder: Path, tmp_path_factory) -> Path:
    settings = TaggerSettings(encoder=str(tiny_encoder), epochs=25, batch_size=8, learning_rate=2e-3, threads=1)
    tagger = SpanTagger.train(synthetic_examples(), settings, progress=False)
    return tagger.save(tmp_path_factory.mktemp("tagger") / "tagger")


@pytest.mark.slow
def test_a_trained_tagger_finds_the_speakers_it_learnt(trained: Path) -> None:
    tagger = SpanTagger.load(trained, threads=1, threshold=0.5)  # a tiny model is less sure of itself
    examples = synthetic_examples()
    found = tagger([e.text for e in examples])
    hit = sum(any(s < ge and gs < e for s, e in spans for gs, ge in ex.spans) for ex, spans in zip(examples, found)
              if ex.spans)
    assert hit >= 0.8 * sum(1 for e in examples if e.spans)
    assert sum(len(spans) for ex, spans in zip(examples, found) if not ex.spans) <= 1  # the weather speaks not
    meta = json.loads((trained / META_FILE).read_text(encoding="utf-8"))
    assert meta["examples"] == len(examples) and meta["spans"] == 32 and len(meta["loss_per_epoch"]) == 25
    assert meta["loss_per_epoch"][-1] < meta["loss_per_epoch"][0]
    assert tagger.fingerprint == f"tagger:{meta['fingerprint']}@0.5"
    assert SpanTagger.load(trained, threads=1).fingerprint == f"tagger:{meta['fingerprint']}@0.85"


@pytest.mark.slow
def test_saving_again_replaces_the_folder_whole(trained: Path, tmp_path: Path) -> None:
    tagger = SpanTagger.load(trained, threads=1)
    out = tmp_path / "copy"
    out.mkdir()
    (out / "stale.txt").write_text("old", encoding="utf-8")
    tagger.save(out)
    assert not (out / "stale.txt").exists() and (out / META_FILE).is_file()
    assert not (tmp_path / "copy.partial").exists()
    again = SpanTagger.load(out, threads=1)
    texts = [e.text for e in synthetic_examples()[:6]]
    assert again(texts) == tagger(texts)
