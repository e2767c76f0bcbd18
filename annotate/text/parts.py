"""The articles of an input, located, so that a worker can read a part of the input itself.

:func:`locate` reads INPUT once, with every check the other readers make (an error names the
file and line), and says where each article lies: a range of bytes of a JSONL file, of rows of a
Parquet file, of records of a CSV file, or a whole text file. :func:`read_part` reads one such
range again, on a worker of a distributed engine, and gives the sentences of each article in it
(split here for articles, grouped back for a sentence corpus), as the local readers would:
`propa preannotate --engine ray` hands the workers parts, not text.

A part is plain data (str and int fields): it travels to another process or machine, which must
see the file at the same path (a shared file system).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from annotate.errors import InputError
from annotate.files import Where, located_records
from annotate.text.articles import (
    Article,
    article_from_record,
    find_article_files,
    read_csv,
    read_txt,
)
from annotate.text.corpus import (
    _REQUIRED,
    Sentence,
    input_paths,
    is_corpus_file,
    sentence_from_dict,
    split_article,
)

SENTENCES, ARTICLES, PARQUET, CSV, TXT = "sentences", "articles", "parquet", "csv", "txt"


@dataclass(frozen=True)
class Part:
    """Articles of one file, one after the other: bytes ``start`` to ``end`` from line ``line``
    (JSONL: ``form`` SENTENCES for a sentence corpus, ARTICLES for articles), rows (PARQUET) or
    records (CSV) ``start`` to ``end``, or the whole file (TXT, one article)."""

    path: str
    form: str
    start: int = 0
    end: int = 0
    line: int = 1
    articles: int = 1

    def joined(self, other: "Part") -> "Part | None":
        """This part and the one right after it in the same file as one part, or None."""
        if other.path != self.path or other.form != self.form or other.start != self.end or self.form == TXT:
            return None
        return replace(self, end=other.end, articles=self.articles + other.articles)


def locate(path: Path, encoding: str | None = None) -> Iterator[tuple[Part, int]]:
    """Every article of INPUT (a file, a folder of articles, a glob pattern), in order, as a part
    of one article and its number of sentences (0 for articles, split later). INPUT is read whole,
    with the checks of the local readers; article ids must be unique across files."""
    seen: dict[str, str] = {}

    def unique(article_id: str, origin: str) -> None:
        if article_id in seen:
            raise InputError(f"{origin}: duplicate article id '{article_id}' (first seen in {seen[article_id]})")
        seen[article_id] = origin

    for one in input_paths(Path(path)):
        if one.is_file() and one.suffix == ".parquet":
            yield from _locate_parquet(one, unique)
        elif is_corpus_file(one):
            yield from _locate_corpus(one, unique)
        else:
            for file in find_article_files([one]):
                yield from _locate_articles(file, encoding, unique)


def _locate_articles(path: Path, encoding: str | None, unique) -> Iterator[tuple[Part, int]]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        for origin, record, where in located_records(path, encoding):
            unique(article_from_record(record, origin).id, origin)
            yield Part(str(path), ARTICLES, where.start, where.end, where.line), 0
    elif suffix == ".csv":
        for index, article in enumerate(read_csv(path, encoding)):
            unique(article.id, article.origin)
            yield Part(str(path), CSV, index, index + 1), 0
    else:
        for article in read_txt(path, encoding):
            unique(article.id, article.origin)
            yield Part(str(path), TXT), 0


def _locate_corpus(path: Path, unique) -> Iterator[tuple[Part, int]]:
    current: tuple[str, Part, int] | None = None  # article id, its part so far, its sentences
    for origin, record, where in located_records(path, expected="not a JSONL corpus"):
        sentence = sentence_from_dict(record, origin)
        if current is not None and sentence.article_id == current[0]:
            current = (current[0], replace(current[1], end=where.end), current[2] + 1)
            continue
        if current is not None:
            yield current[1], current[2]
        _together(sentence.article_id, origin, unique)
        current = (sentence.article_id, Part(str(path), SENTENCES, where.start, where.end, where.line), 1)
    if current is not None:
        yield current[1], current[2]


def _locate_parquet(path: Path, unique) -> Iterator[tuple[Part, int]]:
    handle = _parquet(path)
    missing = [name for name in _REQUIRED if name not in handle.schema_arrow.names]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; is this a sentence corpus?")
    row = 0
    current: tuple[str, int] | None = None  # article id, its first row
    for batch in handle.iter_batches(batch_size=65536, columns=["article_id"]):
        for article_id in batch.column(0).to_pylist():
            if current is None or article_id != current[0]:
                if current is not None:
                    yield Part(str(path), PARQUET, current[1], row), row - current[1]
                _together(str(article_id), f"{path}: row {row + 1}", unique)
                current = (article_id, row)
            row += 1
    if current is not None:
        yield Part(str(path), PARQUET, current[1], row), row - current[1]
    if not row:
        raise InputError(f"{path}: no rows")


def _together(article_id: str, origin: str, unique) -> None:
    try:
        unique(article_id, origin)
    except InputError:
        raise InputError(f"{origin}: the sentences of article {article_id} are not together; sort the corpus by "
                         "article") from None


def read_part(part: Part, encoding: str | None = None) -> Iterator[list[Sentence]]:
    """The sentences of each article of ``part``, as :func:`annotate.text.corpus.read_sentences`
    gives them: split for articles, as stored for a corpus."""
    path = Path(part.path)
    if part.form in (ARTICLES, CSV, TXT):
        for article in _articles(part, path, encoding):
            yield list(split_article(article))
        return
    if part.form == SENTENCES:
        records = (sentence_from_dict(record, origin) for origin, record, _ in
                   located_records(path, expected="not a JSONL corpus", part=Where(part.start, part.end, part.line)))
    elif part.form == PARQUET:
        records = _parquet_rows(path, part.start, part.end)
    else:
        raise InputError(f"{path}: unknown part form {part.form!r}")
    current: list[Sentence] = []
    for sentence in records:
        if current and sentence.article_id != current[0].article_id:
            yield current
            current = []
        current.append(sentence)
    if current:
        yield current


def _articles(part: Part, path: Path, encoding: str | None) -> Iterator[Article]:
    if part.form == TXT:
        yield from read_txt(path, encoding)
    elif part.form == CSV:
        for index, article in enumerate(read_csv(path, encoding)):
            if index >= part.end:
                break
            if index >= part.start:
                yield article
    else:
        for origin, record, _ in located_records(path, encoding, part=Where(part.start, part.end, part.line)):
            yield article_from_record(record, origin)


def _parquet(path: Path):
    try:
        import pyarrow.parquet as pq

        return pq.ParquetFile(path)
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow)") from None
    except Exception as err:  # pyarrow's own error types: not a Parquet file, truncated...
        raise InputError(f"{path}: not a readable Parquet file ({err})") from None


def _parquet_rows(path: Path, start: int, end: int) -> Iterator[Sentence]:
    """Rows ``start`` to ``end`` of a Parquet corpus, reading only the row groups that hold them; the
    last row group read is kept (as Arrow columns), since the next part usually begins in it."""
    handle = _parquet(path)
    first = 0  # the first row of the row group
    for group in range(handle.num_row_groups):
        rows = handle.metadata.row_group(group).num_rows
        if first + rows > start and first < end:
            key = (str(path), path.stat().st_mtime_ns, group)
            if _LAST_GROUP.get("key") != key:
                _LAST_GROUP.clear()
                _LAST_GROUP.update(key=key, table=handle.read_row_group(group))
            offset = max(start, first) - first
            records = _LAST_GROUP["table"].slice(offset, min(end, first + rows) - first - offset).to_pylist()
            for number, record in enumerate(records, start=first + offset + 1):
                yield sentence_from_dict(record, f"{path}: row {number}")
        first += rows
        if first >= end:
            break


_LAST_GROUP: dict = {}  # the row group a worker read last: {"key": (path, mtime, group), "table": ...}
