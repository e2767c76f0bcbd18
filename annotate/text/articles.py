"""Reading articles from `.txt`, `.jsonl` and `.csv` files, with clear errors on bad input.

An article's *document* is its title, a blank line, then its body: exactly the layout of
a `.txt` article. Every offset in the project (sentences, spans) is into that document,
so a sentence id means the same thing whatever format the article came in.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from annotate.errors import InputError
from annotate.files import jsonl_records, nul_message

ARTICLE_SUFFIXES = (".txt", ".jsonl", ".csv")
REQUIRED_FIELDS = ("id", "title", "text")
OPTIONAL_FIELDS = ("outlet", "url", "date", "author")


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    outlet: str = ""
    url: str = ""
    date: str = ""
    author: str = ""
    origin: str = ""  # where it was read from ("file.jsonl:12"), for error messages

    @property
    def document(self) -> str:
        return f"{self.title}\n\n{self.text}"


def read_text_file(path: Path, encoding: str | None) -> str:
    """A text file's content with "\n" line endings; an error naming it when it is missing,
    empty, binary or not in the expected encoding."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: a folder, not a file") from None
    if not data.strip():
        raise InputError(f"{path}: empty file")
    if b"\x00" in data:
        raise InputError(nul_message(path, "not text"))
    if encoding is None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise InputError(
                f"{path}: not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}); "
                "if you know its encoding, rerun with --encoding (e.g. --encoding cp1252)"
            ) from None
    else:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise InputError(f"unknown encoding '{encoding}' (given with --encoding)") from None
        except UnicodeDecodeError as err:
            raise InputError(
                f"{path}: cannot be decoded as {encoding} (offset {err.start}: {err.reason})"
            ) from None
        text = text.lstrip("\ufeff")
    # One line-ending convention, so offsets mean the same on every platform.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _clean(value: object) -> str:
    return "" if value is None else str(value).strip()


def _body(text: str) -> str:
    # Trailing spaces on lines are noise; keep every line so paragraph indices are stable.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def article_from_record(record: dict, origin: str) -> Article:
    """Validate one JSONL/CSV record and turn it into an Article."""
    if not isinstance(record, dict):
        raise InputError(f"{origin}: expected a JSON object with fields id, title, text")
    for name in REQUIRED_FIELDS:
        if name not in record or record[name] is None:
            raise InputError(f"{origin}: missing field '{name}'")
    article_id, title, text = (_clean(record[name]) for name in REQUIRED_FIELDS)
    if not article_id:
        raise InputError(f"{origin}: field 'id' is empty")
    if "\n" in title:
        raise InputError(f"{origin}: field 'title' spans several lines")
    if not text:
        raise InputError(f"{origin}: field 'text' is empty (article '{article_id}')")
    extras = {name: _clean(record.get(name)) for name in OPTIONAL_FIELDS}
    return Article(article_id, title, _body(text), origin=origin, **extras)


def read_txt(path: Path, encoding: str | None = None) -> Iterator[Article]:
    text = read_text_file(path, encoding).strip()
    title, _, body = text.partition("\n")
    if not body.strip():
        raise InputError(f"{path}: has a title line but no text after it")
    yield Article(path.stem, title.strip(), _body(body), origin=str(path))


def read_jsonl(path: Path, encoding: str | None = None) -> Iterator[Article]:
    for origin, record in jsonl_records(path, encoding):
        yield article_from_record(record, origin)


def read_csv(path: Path, encoding: str | None = None) -> Iterator[Article]:
    reader = csv.DictReader(io.StringIO(read_text_file(path, encoding), newline=""))
    missing = [name for name in REQUIRED_FIELDS if name not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{path}: the header lacks column(s) {', '.join(missing)}")
    count = 0
    try:
        for record in reader:
            count += 1
            yield article_from_record(record, f"{path}:{reader.line_num}")
    except csv.Error as err:
        raise InputError(f"{path}:{reader.line_num}: malformed CSV ({err})") from None
    if not count:
        raise InputError(f"{path}: no records")


_READERS = {".txt": read_txt, ".jsonl": read_jsonl, ".csv": read_csv}


def find_article_files(paths: list[Path]) -> list[Path]:
    """The article files named, or found (recursively, sorted) in the folders named."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                raise InputError(f"{path}: no .txt, .jsonl or .csv files in this folder")
            files.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in ARTICLE_SUFFIXES:
                raise InputError(f"{path}: unsupported file type (expected .txt, .jsonl or .csv)")
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return files


def read_articles(paths: list[Path], encoding: str | None = None) -> Iterator[Article]:
    """Stream the articles of files and folders; article ids must be unique across them."""
    seen: dict[str, str] = {}
    for path in find_article_files(paths):
        for article in _READERS[path.suffix.lower()](path, encoding):
            if article.id in seen:
                raise InputError(
                    f"{article.origin}: duplicate article id '{article.id}' "
                    f"(first seen in {seen[article.id]})"
                )
            seen[article.id] = article.origin
            yield article
