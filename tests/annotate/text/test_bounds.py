"""What a sentence carries is bounded; temporary files do not outlive their writer.

Issue 13: one article with a 2 MB paragraph used to write about 51 GB (every sentence
repeated its paragraph), and a killed run left its temporary file behind.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from annotate.text import corpus
from annotate.cli import cli
from annotate.text.articles import Article
from annotate.text.corpus import CONTEXT_CHARS, ELLIPSIS, contexts, split_article
from annotate.errors import InputError
from annotate.files import atomic_write, remove_orphans
from annotate.text.segment import MAX_SENTENCE_CHARS, Span, split_sentences

WORDS = ("le ministère selon des sources proches du dossier aurait pourrait très bien être lié à une "
         "troublante coïncidence que personne n'explique").split()


def long_paragraph(chars: int, seed: int = 3) -> str:
    rng = random.Random(seed)
    sentences, size = [], 0
    while size < chars:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 24))).capitalize() + "."
        sentences.append(sentence)
        size += len(sentence) + 1
    return " ".join(sentences)


def test_a_short_paragraph_is_the_whole_context():
    paragraph = "Selon des sources proches du dossier, le projet serait abandonné. Le ministre dément."
    sentences = list(split_sentences(paragraph))
    assert contexts(Span(0, len(paragraph), paragraph), sentences) == [paragraph, paragraph]


def test_a_long_paragraph_shows_whole_sentences_around_each_one():
    text = long_paragraph(30_000)
    paragraph = Span(0, len(text), text)
    sentences = list(split_sentences(text))
    shown = contexts(paragraph, sentences)
    assert len(shown) == len(sentences) > 100
    for sentence, context in zip(sentences, shown):
        assert sentence.text in context
        assert len(context) <= CONTEXT_CHARS + 2 * len(ELLIPSIS) + 2
        body = context.removeprefix(f"{ELLIPSIS} ").removesuffix(f" {ELLIPSIS}")
        first = next(s for s in sentences if body.startswith(s.text))  # starts on a sentence
        assert body.endswith(".")  # and ends on one: never a cut word
        assert context.startswith(ELLIPSIS) == (first.start > 0)
        assert len(body) > CONTEXT_CHARS - 2 * 24 * 20  # room is used, not one sentence alone
    # the first sentence's context starts at the paragraph and gets the room after it
    assert shown[0].startswith(sentences[0].text) and shown[0].endswith(ELLIPSIS)
    assert shown[-1].endswith(sentences[-1].text) and shown[-1].startswith(ELLIPSIS)
    middle = len(sentences) // 2
    centre = shown[middle].find(sentences[middle].text) + len(sentences[middle].text) // 2
    assert abs(centre - len(shown[middle]) / 2) < 400  # centred on the sentence


def test_a_sentence_without_punctuation_is_cut_at_white_space():
    text = " ".join(["mot"] * 5_000) + " fin"  # 20,003 characters, no boundary
    pieces = list(split_sentences(text, offset=7))
    assert len(pieces) == 5
    for piece in pieces:
        assert 0 < len(piece.text) <= MAX_SENTENCE_CHARS
        assert text[piece.start - 7:piece.end - 7] == piece.text
        assert not piece.text.startswith(" ") and not piece.text.endswith(" ")
        assert "mo " not in f"{piece.text} " or piece.text.endswith("mot")  # never mid-word
    assert " ".join(p.text for p in pieces) == text


def test_a_long_word_with_no_space_is_cut_at_the_limit():
    pieces = list(split_sentences("x" * (2 * MAX_SENTENCE_CHARS + 5)))
    assert [len(p.text) for p in pieces] == [MAX_SENTENCE_CHARS, MAX_SENTENCE_CHARS, 5]


def test_an_article_past_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(corpus, "MAX_ARTICLE_CHARS", 1_000)
    article = Article(id="énorme", title="T", text="mot " * 400, origin="big.jsonl:3")
    with pytest.raises(InputError, match=r"big.jsonl:3: article 'énorme' has 1,603 characters, more than the 1,000"):
        list(split_article(article))


def test_a_two_megabyte_paragraph_ingests_in_bounded_output(tmp_path):
    text = long_paragraph(2_000_000)
    source = tmp_path / "big.jsonl"
    source.write_text(json.dumps({"id": "big", "title": "Un titre", "text": text}, ensure_ascii=False) + "\n")
    out = tmp_path / "sentences.jsonl"
    result = CliRunner().invoke(cli, ["ingest", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.open(encoding="utf-8")]
    assert len(records) > 20_000
    # each record: its sentence, a context of at most CONTEXT_CHARS, and metadata
    assert out.stat().st_size < len(records) * (CONTEXT_CHARS + 1_000)
    document = f"Un titre\n\n{text}"
    assert all(document[r["start"]:r["end"]] == r["text"] and r["text"] in r["paragraph"] for r in records)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_write_removes_the_temporary_files_of_a_dead_writer(tmp_path):
    out = tmp_path / "out.jsonl"
    dead = tmp_path / ".out.jsonl.4194999.abc123.tmp"  # beyond any pid_max: never running
    alive = tmp_path / f".out.jsonl.{os.getpid()}.def456.tmp"  # a writer still at work
    other = tmp_path / ".other.jsonl.4194999.abc123.tmp"  # another output's
    for path in (dead, alive, other):
        path.write_text("half")
    with atomic_write(out) as handle:
        handle.write("done\n")
    assert out.read_text() == "done\n"
    assert not dead.exists() and alive.exists() and other.exists()
    assert remove_orphans(out) == []


def test_sigterm_mid_ingest_leaves_no_temporary_file(tmp_path):
    source = tmp_path / "articles.jsonl"
    text = long_paragraph(400_000)
    with source.open("w", encoding="utf-8") as handle:
        for number in range(60):
            handle.write(json.dumps({"id": f"a{number}", "title": "T", "text": text}, ensure_ascii=False) + "\n")
    out = tmp_path / "out" / "sentences.jsonl"
    out.parent.mkdir()
    out.write_text("the previous corpus\n")
    process = subprocess.Popen([sys.executable, "-c", "from annotate.cli import main; main()", "ingest",
                                str(source), "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".tmp") for p in out.parent.iterdir()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 128 + signal.SIGTERM
    assert sorted(p.name for p in out.parent.iterdir()) == ["sentences.jsonl"]
    assert out.read_text() == "the previous corpus\n"
