"""Articles -> sentences -> a JSONL sentence corpus, streamed; and reading it back.

One line of the corpus is one sentence, self-contained: everything a Label Studio task
needs (its paragraph as context, the article's title and metadata) travels with it.

What a sentence carries is bounded, so that the corpus grows with the article and not with
the square of its longest paragraph: the context is the whole paragraph up to
CONTEXT_CHARS characters, and past that the sentences around this one that fit in
CONTEXT_CHARS, marked "[…]" where the paragraph goes on. An article longer than
MAX_ARTICLE_CHARS is refused (split it); a sentence is at most
:data:`annotate.text.segment.MAX_SENTENCE_CHARS`.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterator

from annotate.files import jsonl_records
from annotate.text.articles import Article, read_articles
from annotate.errors import InputError
from annotate.files import atomic_write
from annotate.text.segment import Span, segment

CONTEXT_CHARS = 2_000  # a screenful around the sentence in Label Studio
MAX_ARTICLE_CHARS = 10_000_000  # a long book; a larger "article" is a file that needs splitting
ELLIPSIS = "[…]"


@dataclass(frozen=True)
class Sentence:
    id: str  # "<article id>:<start>-<end>", stable as long as the article is unchanged
    article_id: str
    paragraph_index: int  # 0 is the title
    start: int  # offsets into the article document (title, blank line, body)
    end: int
    text: str
    paragraph: str  # its context: the paragraph, or past CONTEXT_CHARS the sentences around it
    title: str
    outlet: str = ""
    url: str = ""
    date: str = ""
    author: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


SENTENCE_FIELDS = tuple(f.name for f in fields(Sentence))
_REQUIRED = ("id", "article_id", "paragraph_index", "start", "end", "text")


def sentence_id(article_id: str, start: int, end: int) -> str:
    return f"{article_id}:{start}-{end}"


def split_article(article: Article) -> Iterator[Sentence]:
    """The sentences of one article, in reading order; refuses one past MAX_ARTICLE_CHARS."""
    document = article.document
    if len(document) > MAX_ARTICLE_CHARS:
        raise InputError(f"{article.origin or article.id}: article '{article.id}' has {len(document):,} characters, "
                         f"more than the {MAX_ARTICLE_CHARS:,} one article may have; split it into several articles")
    for index, paragraph, spans in _paragraphs(segment(document)):
        for span, shown in zip(spans, contexts(paragraph, spans)):
            yield Sentence(
                id=sentence_id(article.id, span.start, span.end),
                article_id=article.id,
                paragraph_index=index,
                start=span.start,
                end=span.end,
                text=span.text,
                paragraph=shown,
                title=article.title,
                outlet=article.outlet,
                url=article.url,
                date=article.date,
                author=article.author,
            )


def _paragraphs(pieces: Iterator[tuple[int, Span, Span]]) -> Iterator[tuple[int, Span, list[Span]]]:
    """Group ``segment``'s output by paragraph: ``(index, paragraph, its sentences)``."""
    current: tuple[int, Span, list[Span]] | None = None
    for index, paragraph, sentence in pieces:
        if current is None or current[0] != index:
            if current is not None:
                yield current
            current = (index, paragraph, [])
        current[2].append(sentence)
    if current is not None:
        yield current


def contexts(paragraph: Span, sentences: list[Span], limit: int = CONTEXT_CHARS) -> list[str]:
    """What an annotator sees around each sentence of a paragraph: the paragraph if it fits
    in ``limit`` characters, else the whole sentences around that one that fit, centred on
    it as far as the paragraph allows, with "[…]" where the paragraph goes on. Spans carry
    the document's offsets, as ``segment`` gives them."""
    if len(paragraph.text) <= limit:
        return [paragraph.text] * len(sentences)
    starts = [s.start for s in sentences]  # sorted: sentences come in reading order
    ends = [s.end for s in sentences]
    shown = []
    for position, sentence in enumerate(sentences):
        spare = max(0, limit - (sentence.end - sentence.start))
        low = max(paragraph.start, sentence.start - spare // 2)  # half the room before...
        high = min(paragraph.end, sentence.end + spare - (sentence.start - low))  # ...the rest after
        low = max(paragraph.start, sentence.start - (spare - (high - sentence.end)))  # unused room goes back
        first = min(bisect.bisect_left(starts, low), position)
        last = max(bisect.bisect_right(ends, high) - 1, position)
        text = paragraph.text[sentences[first].start - paragraph.start:sentences[last].end - paragraph.start]
        before = f"{ELLIPSIS} " if first > 0 else ""
        after = f" {ELLIPSIS}" if last < len(sentences) - 1 else ""
        shown.append(before + text + after)
    return shown


@dataclass(frozen=True)
class IngestSummary:
    articles: int
    sentences: int
    out: Path


def ingest(
    paths: list[Path],
    out: Path,
    encoding: str | None = None,
    progress: bool | None = None,
    attributor=None,
) -> IngestSummary:
    """Read articles, split them and write the sentence corpus to ``out`` (JSONL).

    The output appears only when every input has been read: on an error nothing is
    written and a previous ``out`` is left as it was. ``progress=None`` shows a bar on
    a terminal only. With an ``attributor`` (:class:`annotate.sources.attribution.Attributor`)
    each sentence also carries its ``attributions``: source mention, cue, kind, content
    and, from the attributor's registry, the source's reliability.
    """
    from tqdm import tqdm

    articles = sentences = 0
    with atomic_write(out) as handle:
        disable = None if progress is None else not progress
        bar = tqdm(read_articles(paths, encoding), unit=" articles", desc="ingest", disable=disable)
        with bar:
            for article in bar:
                articles += 1
                split = list(split_article(article))
                found = attributor([(s.article_id, s.text, s.outlet) for s in split]) if attributor else None
                for i, sentence in enumerate(split):
                    record = sentence.to_dict()
                    if found is not None:
                        record["attributions"] = [_attribution_record(a, attributor.registry) for a in found[i]]
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                    sentences += 1
                bar.set_postfix(sentences=sentences, refresh=False)
    return IngestSummary(articles, sentences, Path(out))


def _attribution_record(attribution, registry) -> dict:
    record = attribution.to_dict()
    entry = registry.match(attribution.mention.text) if registry is not None and attribution.mention else None
    record["reliability"] = entry.reliability if entry is not None else "unknown"
    if entry is not None:
        record["registry_id"] = entry.id
    return record


def sentence_from_dict(record: object, origin: str) -> Sentence:
    if not isinstance(record, dict):
        raise InputError(f"{origin}: expected a JSON object (a sentence written by `propa ingest`)")
    missing = [name for name in _REQUIRED if name not in record]
    if missing:
        raise InputError(f"{origin}: missing field(s) {', '.join(missing)}; "
                         "is this a corpus written by `propa ingest`?")
    values = {name: record.get(name, "") for name in SENTENCE_FIELDS}
    for name in ("paragraph", "title"):
        values[name] = values[name] or ""
    try:
        return Sentence(**values)
    except TypeError as err:
        raise InputError(f"{origin}: {err}") from None


def read_corpus(path: Path) -> Iterator[Sentence]:
    """Stream the sentences of a corpus written by :func:`ingest`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    for origin, record in jsonl_records(path, expected="not a JSONL corpus", allow_empty=True):
        yield sentence_from_dict(record, origin)


def _first_record(path: Path) -> object:
    """The first JSON record of a file, or None when there is none or it is not JSON."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                try:
                    return json.loads(line)
                except ValueError:
                    return None
    return None


def is_sentence_corpus(path: Path) -> bool:
    """A JSONL whose first record has the fields `propa ingest` writes (articles have no 'start')."""
    first = _first_record(path)
    return isinstance(first, dict) and {"id", "article_id", "start", "end", "text"} <= set(first)


def has_stored_attributions(path: Path) -> bool:
    """A sentence corpus whose sentences carry the attributions of `propa ingest --sources`."""
    path = Path(path)
    if not (path.is_file() and path.suffix == ".jsonl"):
        return False
    first = _first_record(path)
    return isinstance(first, dict) and {"id", "article_id", "start", "end", "text", "attributions"} <= set(first)


GLOB_CHARS = frozenset("*?[")


def input_paths(path: Path) -> list[Path]:
    """INPUT as the paths it names: itself, or the files a glob pattern matches ("data/*.parquet"),
    sorted. A missing path, or a pattern that matches nothing, is an error now."""
    path = Path(path)
    if path.exists():
        return [path]
    if GLOB_CHARS & set(str(path)):
        anchor = Path(path.anchor) if path.is_absolute() else Path(".")
        relative = str(path.relative_to(anchor)) if path.is_absolute() else str(path)
        matches = sorted(p for p in anchor.glob(relative) if p.is_file())
        if not matches:
            raise InputError(f"{path}: the pattern matches no file")
        return matches
    raise InputError(f"{path}: no such file or folder")


def is_corpus_file(path: Path) -> bool:
    """A sentence corpus: Parquet, or a JSONL whose first record has the fields `propa ingest` writes."""
    return path.is_file() and (path.suffix == ".parquet" or path.suffix == ".jsonl" and is_sentence_corpus(path))


def read_parquet_corpus(path: Path) -> Iterator[Sentence]:
    """Stream the sentences of a Parquet file with the columns of a sentence corpus (id, article_id,
    paragraph_index, start, end, text; the others optional), in batches."""
    try:
        import pyarrow.parquet as pq

        handle = pq.ParquetFile(path)
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow)") from None
    except Exception as err:  # pyarrow's own error types: not a Parquet file, truncated...
        raise InputError(f"{path}: not a readable Parquet file ({err})") from None
    row = 0
    for batch in handle.iter_batches(batch_size=4096):
        for record in batch.to_pylist():
            row += 1
            yield sentence_from_dict(record, f"{path}: row {row}")


def read_sentences(path: Path, encoding: str | None = None) -> Iterator[Sentence]:
    """The sentences of a sentence corpus (`propa ingest` output, JSONL or Parquet) or of articles
    (split here); INPUT may be a glob pattern ("feeds/2026-11-*.parquet"), read in name order.

    A missing path is an error now, not when the stream is first read."""
    paths = input_paths(path)

    def sentences(one: Path) -> Iterator[Sentence]:
        if one.is_file() and one.suffix == ".parquet":
            return read_parquet_corpus(one)
        if is_corpus_file(one):
            return read_corpus(one)
        return (sentence for article in read_articles([one], encoding=encoding) for sentence in split_article(article))

    if len(paths) == 1:
        return sentences(paths[0])
    return (sentence for one in paths for sentence in sentences(one))
