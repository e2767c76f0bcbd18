import json
import pytest
from pathlib import Path

from annotate.text.articles import read_articles
from annotate.text.corpus import ingest, read_corpus
from annotate.errors import InputError
from tests.conftest import SAMPLES, read_jsonl


def test_three_formats_into_one_corpus(article_dir, tmp_path):
    out = tmp_path / "corpus.jsonl"
    summary = ingest([article_dir], out, progress=False)
    rows = read_jsonl(out)
    assert (summary.articles, summary.sentences) == (3, len(rows))
    by_article = {}
    for row in rows:
        by_article.setdefault(row["article_id"], []).append(row["text"])
    assert by_article == {
        "alpha": ["Un titre", "Première phrase.", "Selon des sources, tout va mal.", "Source : Divers"],
        "gamma": ["Gamma", "« Non. Jamais. », a-t-il dit."],
        "beta": ["Bêta", "Le ministère a indiqué que oui.", "Fin."],
    }
    beta = next(r for r in rows if r["text"] == "Fin.")
    assert beta["outlet"] == "Agence X" and beta["date"] == "2026-01-02" and beta["title"] == "Bêta"
    assert beta["paragraph"] == "Le ministère a indiqué que oui. Fin." and beta["paragraph_index"] == 1


def test_ids_are_offsets_into_the_document_and_stable(article_dir, tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    ingest([article_dir], first, progress=False)
    ingest([article_dir], second, progress=False)
    assert first.read_bytes() == second.read_bytes()
    documents = {a.id: a.document for a in read_articles([article_dir])}
    ids = set()
    for s in read_corpus(first):
        assert s.id == f"{s.article_id}:{s.start}-{s.end}"
        assert documents[s.article_id][s.start:s.end] == s.text
        ids.add(s.id)
    assert len(ids) == len(read_jsonl(first))


def test_sample_corpus_splits_cleanly(tmp_path):
    out = tmp_path / "samples.jsonl"
    summary = ingest([SAMPLES], out, progress=False)
    assert summary.articles >= 6
    texts = [r["text"] for r in read_jsonl(out)]
    # abbreviations never end a sentence in our samples, quotes stay with their clause
    assert not any(t.endswith((" M.", " Mme.", " Dr.", "l’art.", "l'art.")) for t in texts)
    assert not any(t.startswith(("a déclaré", "a-t-il", "s'interroge", "a lancé")) for t in texts)
    assert "Source : Divers" in texts


def test_crlf_and_bom_are_normalised(tmp_path):
    path = tmp_path / "win.txt"
    path.write_bytes("\ufeffTitre\r\n\r\nUne phrase. Une autre.\r\n".encode("utf-8"))
    article = next(read_articles([path]))
    assert article.document == "Titre\n\nUne phrase. Une autre."


def test_explicit_encoding(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Titre\n\nÉlection à Noël.\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"latin\.txt: not valid UTF-8 .*--encoding"):
        list(read_articles([path]))
    assert next(read_articles([path], encoding="cp1252")).text == "Élection à Noël."


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", b"  \n\n", "empty file"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "binary file"),
    ("title-only.txt", "Titre seul\n".encode(), "no text after it"),
    ("bad.jsonl", b'{"id": "a", "title": "t", "text": "x"}\n{"id": "b",\n', r"bad\.jsonl:2: malformed JSON"),
    ("missing.jsonl", b'{"id": "a", "title": "t"}\n', r"missing\.jsonl:1: missing field 'text'"),
    ("notobj.jsonl", b'["a"]\n', r"notobj\.jsonl:1: expected a JSON object"),
    ("header.csv", b"id,text\n1,x\n", "header lacks column"),
    ("dups.jsonl", b'{"id": "a", "title": "t", "text": "x"}\n{"id": "a", "title": "u", "text": "y"}\n',
     r"dups\.jsonl:2: duplicate article id 'a' \(first seen in .*dups\.jsonl:1\)"),
    ("notes.md", b"# hi\n", "unsupported file type"),
])
def test_bad_input_is_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        list(read_articles([path]))
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_duplicate_ids_across_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for sub in ("a", "b"):
        (tmp_path / sub / "same.txt").write_text("T\n\nTexte.\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate article id 'same'"):
        list(read_articles([tmp_path]))


def test_failed_ingest_writes_nothing_and_keeps_previous_output(article_dir, tmp_path):
    out = tmp_path / "corpus.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    (article_dir / "zz-broken.jsonl").write_text('{"id": "z", "title": "t"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="missing field 'text'"):
        ingest([article_dir], out, progress=False)
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles", "corpus.jsonl"]


def test_read_corpus_rejects_a_foreign_file(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"foo": 1}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.jsonl:1: missing field"):
        list(read_corpus(path))


def test_ingest_with_sources_records_who_each_sentence_cites(article_dir, tmp_path):
    from click.testing import CliRunner

    from annotate.cli import cli

    out = tmp_path / "corpus.jsonl"
    result = CliRunner().invoke(cli, ["ingest", str(article_dir), "--sources", "--kinds", "rules", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["text"]: r for r in read_jsonl(out)}
    assert rows["Première phrase."]["attributions"] == []
    (vague,) = rows["Selon des sources, tout va mal."]["attributions"]
    assert (vague["mention"]["text"], vague["cue"]["text"], vague["kind"], vague["reliability"]) == \
        ("des sources", "Selon", "anonymous_vague", "unknown")
    assert vague["content"]["text"] == "tout va mal"
    (ministry,) = rows["Le ministère a indiqué que oui."]["attributions"]
    assert (ministry["mention"]["text"], ministry["kind"], ministry["kind_by"]) == ("Le ministère", "official", "rules")
    (line,) = rows["Source : Divers"]["attributions"]
    assert (line["mention"]["text"], line["cue"]["text"]) == ("Divers", "Source :")
    # Offsets are into the sentence, as in the predictions.
    sentence = "Le ministère a indiqué que oui."
    assert sentence[ministry["mention"]["start"]:ministry["mention"]["end"]] == "Le ministère"
    # Without --sources the corpus is what it was.
    plain = tmp_path / "plain.jsonl"
    ingest([article_dir], plain, progress=False)
    assert all("attributions" not in r for r in read_jsonl(plain))


def test_source_options_without_sources_are_refused(article_dir, tmp_path):
    from click.testing import CliRunner

    from annotate.cli import cli

    out = tmp_path / "corpus.jsonl"
    result = CliRunner().invoke(cli, ["ingest", str(article_dir), "--kinds-from", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 1 and not out.exists()
    assert result.output.strip().splitlines() == [
        "Error: --registry, --kinds-from and --source-tagger apply to --sources: add --sources, or leave them out"]


def test_parquet_corpora_and_glob_patterns_are_read_like_jsonl(article_dir: Path, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from annotate.text.corpus import read_sentences

    corpus = tmp_path / "c.jsonl"
    ingest([article_dir], corpus, progress=False)
    sentences = list(read_sentences(corpus))
    half = len(sentences) // 2
    for name, part in (("part-1.parquet", sentences[:half]), ("part-2.parquet", sentences[half:])):
        pq.write_table(pa.Table.from_pylist([s.to_dict() for s in part]), tmp_path / name)
    assert list(read_sentences(tmp_path / "part-1.parquet")) == sentences[:half]
    assert list(read_sentences(tmp_path / "part-*.parquet")) == sentences  # in name order
    with pytest.raises(InputError, match=r"part-\?\.csv: the pattern matches no file"):
        read_sentences(tmp_path / "part-?.csv")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="bad.parquet: not a readable Parquet file"):
        list(read_sentences(tmp_path / "bad.parquet"))
    pq.write_table(pa.Table.from_pylist([{"id": "x", "text": "Sans article."}]), tmp_path / "thin.parquet")
    with pytest.raises(InputError, match=r"thin.parquet: row 1: missing field\(s\) article_id"):
        list(read_sentences(tmp_path / "thin.parquet"))
