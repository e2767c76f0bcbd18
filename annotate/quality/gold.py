"""The project's gold corpus: hand-labelled articles written as YAML, built into the files
the tools read.

One YAML file per article under ``corpus/gold/src/`` holds the article sentence by
sentence, with its techniques, their cue spans and its attributions (source mention,
cue, kind), quoted as substrings so that a person can write and review it. `propa gold
build` checks every file and writes, in one direction only:

- ``articles.jsonl``: the articles (id, title, text, outlet, date, style, topic), which
  `propa ingest` and `propa push` read like any other articles;
- ``gold_fr.jsonl``: one line per sentence with the same ``id`` as `propa ingest` gives
  it, character offsets for every span, the labels, the hard negatives; `propa data
  from-jsonl` reads it, and `propa agreement --gold` compares annotators with it.

The check is strict because the gold set is what everything else is measured against:
a sentence must be exactly what the project's splitter produces from the article, every
quoted span must occur in its sentence, every label needs a cue and every cue a label.
Errors name the file and the sentence.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import yaml

from annotate.text.articles import Article
from annotate.text.corpus import split_article
from annotate.errors import InputError, quote
from annotate.text.segment import split_sentences
from annotate.taxonomy import Taxonomy
from annotate.yamlconf import config_loader

STYLES = ("wire", "opinion", "state_media", "conspiracy_blog", "fact_check")
TOPICS = ("war", "elections", "health", "energy", "migration", "economy")
ARTICLE_KEYS = {"id", "style", "topic", "outlet", "date", "title", "paragraphs"}
SENTENCE_KEYS = {"text", "labels", "cues", "sources", "hard_negative", "note"}
CUE_KEYS = {"technique", "text", "occurrence"}
SOURCE_KEYS = {"text", "cue", "kind", "occurrence", "refers_to", "content"}
ARTICLES_FILE = "articles.jsonl"
GOLD_FILE = "gold_fr.jsonl"


@dataclass(frozen=True)
class GoldArticle:
    article: Article
    style: str
    topic: str
    rows: tuple[dict, ...]  # one per sentence, in reading order (see sentence_row)
    path: Path = field(compare=False)

    def record(self) -> dict:
        a = self.article
        return {"id": a.id, "title": a.title, "text": a.text, "outlet": a.outlet, "date": a.date,
                "style": self.style, "topic": self.topic}


def find_span(sentence: str, quoted: str, occurrence: int, where: str) -> tuple[int, int]:
    """Offsets of the ``occurrence``-th (1-based) occurrence of ``quoted`` in ``sentence``, as whole
    words: "on" is not found inside "réunion", nor "Il" inside "Ils"."""
    import re

    pattern = (r"(?<!\w)" if quoted[:1].isalnum() else "") + re.escape(quoted) + \
        (r"(?!\w)" if quoted[-1:].isalnum() else "")
    found = [m.start() for m in re.finditer(pattern, sentence)]
    if len(found) < occurrence:
        raise InputError(f"{where}: '{quoted}' occurs {len(found)} time(s) in the sentence as whole words, "
                         f"not {occurrence}" if found else f"{where}: '{quoted}' is not in the sentence")
    start = found[occurrence - 1]
    return start, start + len(quoted)


def _span(sentence: str, quoted: object, occurrence: object, where: str) -> dict:
    if not isinstance(quoted, str) or not quoted.strip():
        raise InputError(f"{where}: expected a non-empty quoted substring, got {quote(quoted)}")
    if not isinstance(occurrence, int) or isinstance(occurrence, bool) or occurrence < 1:
        raise InputError(f"{where}: 'occurrence' must be a positive integer")
    start, end = find_span(sentence, quoted, occurrence, where)
    return {"start": start, "end": end, "text": quoted}


def _keys(record: object, allowed: set[str], required: tuple[str, ...], where: str) -> dict:
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a mapping")
    unknown = sorted(set(record) - allowed)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")
    for key in required:
        if key not in record:
            raise InputError(f"{where}: missing key '{key}'")
    return record


def _technique_list(value: object, techniques: set[str], where: str, key: str) -> list[str]:
    value = [] if value is None else value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: '{key}' must be a list of technique ids")
    for name in value:
        if name not in techniques:
            raise InputError(f"{where}: '{key}' has '{name}', which is not a technique of the taxonomy")
    if len(set(value)) != len(value):
        raise InputError(f"{where}: '{key}' lists a technique twice")
    return value


def sentence_row(raw: object, taxonomy: Taxonomy, where: str) -> dict:
    """One YAML sentence -> its row without position (labels, cues, sources with offsets)."""
    raw = _keys(raw, SENTENCE_KEYS, ("text", "labels"), where)
    text = raw["text"]
    if not isinstance(text, str) or not text.strip() or text != text.strip():
        raise InputError(f"{where}: 'text' must be a non-empty string without surrounding spaces")
    techniques = set(taxonomy.label_names)
    labels = _technique_list(raw["labels"], techniques, where, "labels")
    hard = _technique_list(raw.get("hard_negative"), techniques, where, "hard_negative")
    both = sorted(set(labels) & set(hard))
    if both:
        raise InputError(f"{where}: {', '.join(both)} is both a label and a hard negative")
    cues = []
    for k, cue in enumerate(raw.get("cues") or [], 1):
        here = f"{where}, cue {k}"
        cue = _keys(cue, CUE_KEYS, ("technique", "text"), here)
        if cue["technique"] not in labels:
            raise InputError(f"{here}: technique '{cue['technique']}' is not among the sentence's labels")
        cues.append({"technique": cue["technique"], **_span(text, cue["text"], cue.get("occurrence", 1), here)})
    for label in labels:
        if not any(cue["technique"] == label for cue in cues):
            raise InputError(f"{where}: label '{label}' has no cue span")
    kinds = taxonomy.kind_ids
    sources = []
    for k, source in enumerate(raw.get("sources") or [], 1):
        here = f"{where}, source {k}"
        source = _keys(source, SOURCE_KEYS, ("text", "cue", "kind"), here)
        if source["kind"] not in kinds:
            raise InputError(f"{here}: unknown kind '{source['kind']}' (expected one of {', '.join(sorted(kinds))})")
        mention = (None if source["text"] is None
                   else _span(text, source["text"], source.get("occurrence", 1), here))
        cue = None if source["cue"] is None else _span(text, source["cue"], 1, here + " cue")
        entry = {"mention": mention, "cue": cue, "kind": source["kind"]}
        if source.get("refers_to"):
            entry["refers_to"] = str(source["refers_to"])
        if source.get("content"):
            entry["content"] = _span(text, source["content"], 1, here + " content")
        sources.append(entry)
    row = {"text": text, "labels": labels, "cues": cues, "sources": sources, "hard_negative": hard}
    if raw.get("note"):
        row["note"] = str(raw["note"])
    return row


def load_gold_article(path: Path, taxonomy: Taxonomy) -> GoldArticle:
    """Read and check one gold YAML file (see the module doc)."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=config_loader(path))  # noqa: S506 - alias bombs refused
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}:{line} not valid YAML ({getattr(err, 'problem', err)})") from None
    raw = _keys(raw, ARTICLE_KEYS, ("id", "style", "topic", "title", "paragraphs"), str(path))
    article_id = str(raw["id"])
    if article_id != path.stem:
        raise InputError(f"{path}: id '{article_id}' must equal the file name without .yaml")
    for key, allowed in (("style", STYLES), ("topic", TOPICS)):
        if raw[key] not in allowed:
            raise InputError(f"{path}: {key} '{raw[key]}' is not one of {', '.join(allowed)}")
    paragraphs = raw["paragraphs"]
    if not isinstance(paragraphs, list) or not paragraphs or not all(isinstance(p, list) and p for p in paragraphs):
        raise InputError(f"{path}: 'paragraphs' must be a non-empty list of non-empty lists of sentences")
    title = sentence_row(raw["title"], taxonomy, f"{path}, title")
    body: list[list[dict]] = []
    for p, paragraph in enumerate(paragraphs, 1):
        rows = [sentence_row(s, taxonomy, f"{path}, paragraph {p} sentence {k}") for k, s in enumerate(paragraph, 1)]
        joined = " ".join(row["text"] for row in rows)
        split = [span.text for span in split_sentences(joined)]
        if split != [row["text"] for row in rows]:
            raise InputError(f"{path}, paragraph {p}: the project's splitter cuts it into {len(split)} sentence(s), "
                             f"not the {len(rows)} written: {split}")
        body.append(rows)
    if len(split_sentences_list(title["text"])) != 1:
        raise InputError(f"{path}, title: the splitter cuts the title into several sentences")
    article = Article(article_id, title["text"], "\n\n".join(" ".join(r["text"] for r in rows) for rows in body),
                      outlet=str(raw.get("outlet") or ""), date=str(raw.get("date") or ""), origin=str(path))
    ordered = [title] + [row for rows in body for row in rows]
    sentences = list(split_article(article))
    if [s.text for s in sentences] != [row["text"] for row in ordered]:  # cannot differ after the checks above
        raise InputError(f"{path}: the article does not split back into its sentences")
    rows = tuple({"id": s.id, "article_id": article_id, "paragraph_index": s.paragraph_index, "start": s.start,
                  "end": s.end, **row, "outlet": article.outlet, "date": article.date, "style": raw["style"],
                  "topic": raw["topic"]} for s, row in zip(sentences, ordered))
    return GoldArticle(article, raw["style"], raw["topic"], rows, path)


def split_sentences_list(text: str) -> list[str]:
    return [span.text for span in split_sentences(text)]


def read_gold(folder: Path, taxonomy: Taxonomy) -> Iterator[GoldArticle]:
    """Every ``*.yaml`` under ``folder``, in file-name order; ids must be unique."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise InputError(f"{folder}: no .yaml gold file")
    for path in paths:
        yield load_gold_article(path, taxonomy)


@dataclass(frozen=True)
class GoldSummary:
    articles: int
    sentences: int
    label_counts: Counter
    hard_negative_counts: Counter
    source_kinds: Counter
    styles: Counter
    topics: Counter
    attributions: int
    with_labels: int


def build_gold(src: Path, out: Path, taxonomy: Taxonomy) -> GoldSummary:
    """Check every gold file of ``src`` and write ``articles.jsonl`` and ``gold_fr.jsonl`` into ``out``."""
    from annotate.files import atomic_write

    articles = list(read_gold(src, taxonomy))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(out / ARTICLES_FILE) as handle:
        for gold in articles:
            handle.write(json.dumps(gold.record(), ensure_ascii=False) + "\n")
    with atomic_write(out / GOLD_FILE) as handle:
        for gold in articles:
            for row in gold.rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return summarise(articles)


def summarise(articles: list[GoldArticle]) -> GoldSummary:
    rows = [row for gold in articles for row in gold.rows]
    return GoldSummary(
        articles=len(articles), sentences=len(rows),
        label_counts=Counter(label for row in rows for label in row["labels"]),
        hard_negative_counts=Counter(label for row in rows for label in row["hard_negative"]),
        source_kinds=Counter(source["kind"] for row in rows for source in row["sources"]),
        styles=Counter(gold.style for gold in articles), topics=Counter(gold.topic for gold in articles),
        attributions=sum(len(row["sources"]) for row in rows),
        with_labels=sum(1 for row in rows if row["labels"]))


def read_gold_rows(path: Path) -> list[dict]:
    """The rows of a built ``gold_fr.jsonl``."""
    from annotate.files import jsonl_records

    rows = []
    for where, record in jsonl_records(Path(path)):
        if not isinstance(record, dict) or not {"id", "text", "labels"} <= set(record):
            raise InputError(f"{where}: not a gold row (expected id, text, labels)")
        rows.append(record)
    return rows
