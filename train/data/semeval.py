"""SemEval-2023 Task 3 (subtask 3, persuasion techniques) folders: import, predict files, score.

A folder in the task's format holds:

- ``articles/articleNNN.txt``: line 1 is the title, paragraphs are separated by blank
  lines; the official files mix CRLF and LF line endings;
- ``labels.txt``: ``article_id<TAB>line_no<TAB>Tech1,Tech2`` for every non-empty line,
  line numbers counted from 1 over the raw lines, blank lines included (an empty third
  column means no technique);
- ``spans/articleNNN-labels-subtask-3.txt`` (optional): ``article_id<TAB>technique<TAB>
  start<TAB>end``, character offsets into the article *as read with its line endings
  kept*, so a CRLF counts two characters.

Everything here works on the article with line endings normalised to "\\n" (the
project's convention, see :mod:`annotate.text.articles`), so span offsets are shifted by the
"\\r" characters removed before them. Rows are written in the one dataset schema of
:mod:`annotate.dataset`; paragraph-level labels come from ``labels.txt`` (the official
gold), sentence-level labels from the spans (the only place that says which sentence of
a paragraph holds a technique).

Several folders (languages, train and dev) import into one dataset with
:func:`import_semeval_folders`: each row carries its folder's language, and the article
ids, which repeat across languages, are prefixed with it ("en/111").

The scorer reproduces the official subtask-3 scorer (micro-F1 over the 23 techniques,
macro-F1 over all 23 even when a technique never occurs), so numbers computed here can
be compared with the published ones.

Only the standard library and ``annotate`` are imported at module level; scikit-learn is
imported by :func:`score_semeval` alone.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from annotate.text.corpus import sentence_id
from annotate.dataset import NO_TASK
from annotate.errors import InputError, quote
from annotate.files import atomic_write
from annotate.text.segment import Span, split_paragraphs, split_sentences
from annotate.taxonomy import Taxonomy, load_taxonomy

ARTICLES_DIR = "articles"
LABELS_FILE = "labels.txt"
SPANS_DIR = "spans"
SEMEVAL_TECHNIQUES_FILE = "techniques.txt"
SPAN_FILE_SUFFIX = "-labels-subtask-3.txt"
ANNOTATOR = "semeval2023-task3"
PARAGRAPH = "paragraph"
SENTENCE = "sentence"
LEVELS = (PARAGRAPH, SENTENCE)
# The taxonomy category this project adds to SemEval's 23 techniques (weak sourcing).
PROJECT_CATEGORY = "sourcing"

# The languages of SemEval-2023 Task 3 (with "ge" and "po" as the task names German and
# Polish) and the ISO codes of those two: a folder path component equal to one of them, or
# "semeval2023-<code>", names the folder's language.
LANGUAGE_CODES = ("fr", "en", "it", "ge", "po", "ru", "de", "pl")
LANGUAGE_FOLDER_PREFIX = "semeval2023-"
# A language code becomes the prefix of article ids ("en/111") and of row ids.
_LANGUAGE_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")

# Ids become part of dataset row ids ("<article id>:<start>-<end>") and of span file
# names ("article<id>-labels-subtask-3.txt"), so neither ':' nor '-' may appear in them.
_ARTICLE_FILE = re.compile(r"^article([A-Za-z0-9_]+)\.txt$")
_SPAN_FILE = re.compile(r"^article([A-Za-z0-9_]+)" + re.escape(SPAN_FILE_SUFFIX) + "$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

Labels = dict[tuple[str, int], list[str]]


# -- reading files ---------------------------------------------------------------------

def _read_text(path: Path) -> str:
    """A UTF-8 file's text exactly as stored (no newline translation), or an InputError.

    Decoding bytes rather than opening in text mode keeps CRLF intact, which the span
    offsets count, and lets a decoding error say on which line the bad byte is.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start})"
                         ) from None


def _records(path: Path) -> Iterator[tuple[int, str]]:
    """(line number from 1, line without its line ending) for every non-blank line of a TSV file."""
    for number, line in enumerate(_read_text(path).split("\n"), start=1):
        line = line.rstrip("\r")
        if line.strip():
            yield number, line


def _normalise(raw: str) -> str:
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def _read_raw_articles(path: Path) -> dict[str, tuple[Path, str]]:
    """Article id -> (file, text with its line endings as stored)."""
    folder = Path(path) / ARTICLES_DIR
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder; a SemEval-2023 Task 3 folder holds articles/articleNNN.txt")
    articles: dict[str, tuple[Path, str]] = {}
    for file in sorted(folder.iterdir()):
        if file.name.startswith(".") or file.suffix != ".txt":
            continue  # editor and OS litter (.DS_Store, backups), never an article
        match = _ARTICLE_FILE.match(file.name)
        if match is None:
            raise InputError(f"{file}: not named article<id>.txt (id: letters, digits or '_')")
        raw = _read_text(file)
        if not raw.strip():
            raise InputError(f"{file}: empty file")
        articles[match.group(1)] = (file, raw)
    if not articles:
        raise InputError(f"{folder}: no articleNNN.txt files")
    return articles


def read_articles(path: Path) -> dict[str, str]:
    """Article id ("2310" for articles/article2310.txt) -> document, line endings normalised to "\\n"."""
    return {article_id: _normalise(raw) for article_id, (_, raw) in _read_raw_articles(path).items()}


def line_offsets(document: str) -> list[tuple[int, int]]:
    """(start, end) of every line of ``document``, line breaks excluded; index 0 is line 1.

    Any of "\\r\\n", "\\r" and "\\n" ends a line, so the numbering is the same on the raw
    and on the normalised text; offsets are into the text given.
    """
    offsets = []
    start = 0
    for match in _LINE_BREAK.finditer(document):
        offsets.append((start, match.start()))
        start = match.end()
    offsets.append((start, len(document)))
    return offsets


def _read_label_rows(path: Path) -> dict[tuple[str, int], tuple[int, list[str]]]:
    """(article id, line) -> (line of ``path``, techniques): read_labels with file lines kept for errors."""
    rows: dict[tuple[str, int], tuple[int, list[str]]] = {}
    for number, line in _records(path):
        where = f"{path}:{number}"
        columns = line.split("\t")
        # The official scorer strips trailing white space, so "id<TAB>line" (no third
        # column) is read as "no technique" there too.
        if len(columns) not in (2, 3):
            raise InputError(f"{where}: expected 3 tab-separated columns (article_id, line_no, techniques), "
                             f"found {len(columns)}")
        article_id = columns[0].strip()
        if not article_id:
            raise InputError(f"{where}: empty article id")
        try:
            line_no = int(columns[1])
        except ValueError:
            raise InputError(f"{where}: line number {quote(columns[1])} is not an integer") from None
        if line_no < 1:
            raise InputError(f"{where}: line number {line_no} (lines count from 1)")
        techniques: list[str] = []
        text = columns[2].strip() if len(columns) == 3 else ""
        for name in text.split(",") if text else []:
            name = name.strip()
            if not name:
                raise InputError(f"{where}: empty technique name in {quote(text)}")
            if name in techniques:
                raise InputError(f"{where}: technique '{name}' listed twice")
            techniques.append(name)
        key = (article_id, line_no)
        if key in rows:
            raise InputError(f"{where}: duplicate row for article {article_id} line {line_no} "
                             f"(first at line {rows[key][0]})")
        rows[key] = (number, techniques)
    return rows


def read_labels(path: Path) -> Labels:
    """A labels.txt -> {(article id, line number): techniques in file order}."""
    return {key: techniques for key, (_, techniques) in _read_label_rows(Path(path)).items()}


def read_predictions(path: Path) -> Labels:
    """A prediction file in the official format: the same format as labels.txt."""
    return read_labels(path)


def _read_span_rows(path: Path, raw_text: str, normalised: str) -> list[tuple[int, str, int, int]]:
    """(line of ``path``, technique, start, end) with offsets into ``normalised``."""
    # Normalising removes the "\r" of each "\r\n" (a lone "\r" becomes "\n": same length),
    # so an offset moves back by the number of such "\r" before it.
    removed = [match.start() for match in re.finditer("\r\n", raw_text)]
    if len(normalised) != len(raw_text) - len(removed):
        raise InputError(f"{path}: the normalised article text given is not the raw text with its line "
                         "endings normalised")
    name = _SPAN_FILE.match(path.name)
    expected_id = name.group(1) if name else None
    spans = []
    for number, line in _records(path):
        where = f"{path}:{number}"
        columns = line.split("\t")
        if len(columns) != 4:
            raise InputError(f"{where}: expected 4 tab-separated columns (article_id, technique, start, end), "
                             f"found {len(columns)}")
        article_id, technique = columns[0].strip(), columns[1].strip()
        if expected_id is not None and article_id != expected_id:
            raise InputError(f"{where}: article id '{article_id}' in the spans of article {expected_id}")
        if not technique:
            raise InputError(f"{where}: empty technique name")
        try:
            start, end = int(columns[2]), int(columns[3])
        except ValueError:
            raise InputError(f"{where}: offsets {quote(columns[2])}, {quote(columns[3])} are not integers") from None
        if not 0 <= start < end <= len(raw_text):
            raise InputError(f"{where}: span {start}-{end} is not within the article "
                             f"({len(raw_text)} characters, line endings included)")
        spans.append((number, technique, start - bisect_left(removed, start), end - bisect_left(removed, end)))
    return spans


def read_spans(path: Path, raw_text: str, normalised: str) -> list[tuple[str, int, int]]:
    """A span file -> (technique, start, end), offsets converted from ``raw_text`` to ``normalised``."""
    return [(technique, start, end) for _, technique, start, end in _read_span_rows(Path(path), raw_text, normalised)]


def _read_technique_file(path: Path) -> list[str]:
    names: list[str] = []
    for number, line in _records(path):
        name = line.strip()
        if name in names:
            raise InputError(f"{path}:{number}: technique '{name}' listed twice")
        names.append(name)
    if not names:
        raise InputError(f"{path}: no technique names")
    return names


def read_techniques(path: Path, taxonomy: Taxonomy | None = None) -> list[str]:
    """The techniques a SemEval folder is scored on.

    The ``techniques.txt`` of ``path`` or of its parent (where the official release puts
    it) when there is one, else the taxonomy's techniques outside the project's own
    "sourcing" category: the 23 SemEval techniques, whose ids are the SemEval names.
    """
    path = Path(path)
    for folder in (path, path.parent):
        candidate = folder / SEMEVAL_TECHNIQUES_FILE
        if candidate.is_file():
            return _read_technique_file(candidate)
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
    return [t.id for t in taxonomy.techniques if t.category != PROJECT_CATEGORY]


# -- import ----------------------------------------------------------------------------

def _check_gold(
    gold: dict[tuple[str, int], tuple[int, list[str]]],
    documents: dict[str, str],
    files: dict[str, Path],
    labels_file: Path,
    taxonomy: Taxonomy,
) -> None:
    """Every labels.txt row points to a non-empty line and names known techniques; every such line has a row."""
    offsets = {article_id: line_offsets(document) for article_id, document in documents.items()}
    for (article_id, line_no), (number, techniques) in gold.items():
        where = f"{labels_file}:{number}"
        if article_id not in documents:
            raise InputError(f"{where}: article {article_id} has no file {ARTICLES_DIR}/article{article_id}.txt")
        lines = offsets[article_id]
        if line_no > len(lines):
            raise InputError(f"{where}: line {line_no} is past the end of {files[article_id]} "
                             f"({len(lines)} lines)")
        start, end = lines[line_no - 1]
        if not documents[article_id][start:end].strip():
            raise InputError(f"{where}: line {line_no} of {files[article_id]} is blank")
        for name in techniques:
            if name not in taxonomy.technique_by_id:
                raise InputError(f"{where}: technique '{name}' is not in {taxonomy.path}")
    for article_id, document in documents.items():
        for line_no, (start, end) in enumerate(offsets[article_id], start=1):
            if document[start:end].strip() and (article_id, line_no) not in gold:
                raise InputError(f"{labels_file}: no row for article {article_id} line {line_no} "
                                 f"({files[article_id]}); the gold must cover every non-empty line")


def _spans_folder_files(spans_dir: Path, documents: dict[str, str]) -> dict[str, Path]:
    """Article id -> its span file; a span file of no article is an error (a mismatched folder)."""
    found: dict[str, Path] = {}
    for file in sorted(spans_dir.iterdir()):
        if file.name.startswith(".") or file.suffix != ".txt":
            continue
        match = _SPAN_FILE.match(file.name)
        if match is None:
            raise InputError(f"{file}: not named article<id>{SPAN_FILE_SUFFIX}")
        if match.group(1) not in documents:
            raise InputError(f"{file}: no article{match.group(1)}.txt in {spans_dir.parent / ARTICLES_DIR}")
        found[match.group(1)] = file
    return found


def _article_spans(file: Path, raw: str, document: str, taxonomy: Taxonomy) -> list[tuple[str, int, int]]:
    spans = []
    for number, technique, start, end in _read_span_rows(file, raw, document):
        if technique not in taxonomy.technique_by_id:
            raise InputError(f"{file}:{number}: technique '{technique}' is not in {taxonomy.path}")
        spans.append((technique, start, end))
    return spans


def _overlapping(spans: Sequence[tuple[str, int, int]], unit: Span) -> list[tuple[str, int, int]]:
    """Spans that overlap ``unit`` (half-open intervals), clipped to it, offsets relative to it."""
    return [(technique, max(start, unit.start) - unit.start, min(end, unit.end) - unit.start)
            for technique, start, end in spans if start < unit.end and end > unit.start]


def _row(
    article_id: str, index: int, unit: Span, paragraph: Span, title: str, labels: list[str],
    spans: Sequence[tuple[str, int, int]], language: str,
) -> dict:
    """One dataset row (the schema of annotate.dataset) for a paragraph or a sentence."""
    cues = sorted(
        ({"start": start, "end": end, "text": unit.text[start:end], "label": technique, "kind": "", "reliability": ""}
         for technique, start, end in _overlapping(spans, unit)),
        key=lambda span: (span["start"], span["end"], span["label"]),
    )
    return {
        "id": sentence_id(article_id, unit.start, unit.end),
        "task_id": NO_TASK,
        "article_id": article_id,
        "paragraph_index": index,
        "start": unit.start,
        "end": unit.end,
        "text": unit.text,
        "paragraph": paragraph.text,
        "title": title,
        "outlet": "",
        "date": "",
        "labels": labels,
        "ties": [],
        "annotations": [{"annotation_id": 0, "annotator": ANNOTATOR, "labels": list(labels), "spans": cues,
                         "lead_time": None}],
        "language": language,
    }


def import_semeval(path: Path, taxonomy: Taxonomy, level: str = PARAGRAPH, language: str = "") -> list[dict]:
    """A SemEval-2023 Task 3 folder -> dataset rows, one per paragraph or per sentence.

    Paragraph level keeps the official gold (labels.txt) and attaches the span files'
    cues when there are any. Sentence level labels each sentence with the techniques of
    the spans that overlap it, and so needs the span files; the sentences' labels of a
    paragraph must then add up to its labels.txt row, or the import stops (the two gold
    files disagree and no sentence-level gold can be trusted). Rows with no technique
    are kept: they are the negatives. Rows are sorted by (article id, start); each has
    ``language`` in its language column.
    """
    path = Path(path)
    if level not in LEVELS:
        raise InputError(f"unknown level '{level}' (expected {' or '.join(LEVELS)})")
    raw_articles = _read_raw_articles(path)
    files = {article_id: file for article_id, (file, _) in raw_articles.items()}
    documents = {article_id: _normalise(raw) for article_id, (_, raw) in raw_articles.items()}
    labels_file = path / LABELS_FILE
    if not labels_file.is_file():
        raise InputError(f"{labels_file}: no such file; importing needs the gold labels "
                         "(predicting needs only articles/)")
    gold = _read_label_rows(labels_file)
    _check_gold(gold, documents, files, labels_file, taxonomy)

    spans_dir = path / SPANS_DIR
    if spans_dir.is_dir():
        span_files = _spans_folder_files(spans_dir, documents)
    elif level == SENTENCE:
        raise InputError(f"{spans_dir}: no such folder; sentence-level labels come from the technique spans, "
                         "so import this folder with --level paragraph")
    else:
        span_files = {}

    with_techniques = {article_id for (article_id, _), (_, techniques) in gold.items() if techniques}
    order = {name: i for i, name in enumerate(taxonomy.label_names)}
    rows = []
    for article_id in sorted(documents):
        document = documents[article_id]
        span_file = span_files.get(article_id)
        if span_file is not None:
            spans = _article_spans(span_file, raw_articles[article_id][1], document, taxonomy)
        else:
            spans = []
            if spans_dir.is_dir() and article_id in with_techniques:
                raise InputError(f"{spans_dir}: no article{article_id}{SPAN_FILE_SUFFIX}, but {labels_file} "
                                 f"gives article {article_id} techniques")
        line_starts = [start for start, _ in line_offsets(document)]
        paragraphs = list(split_paragraphs(document))
        title = paragraphs[0].text
        for index, paragraph in enumerate(paragraphs):
            line_no = bisect_right(line_starts, paragraph.start)
            number, techniques = gold[(article_id, line_no)]
            labels = sorted(techniques, key=order.__getitem__)
            if level == PARAGRAPH:
                rows.append(_row(article_id, index, paragraph, paragraph, title, labels, spans, language))
                continue
            union: set[str] = set()
            for sentence in split_sentences(paragraph.text, paragraph.start):
                found = {technique for technique, _, _ in _overlapping(spans, sentence)}
                union |= found
                rows.append(_row(article_id, index, sentence, paragraph, title,
                                 sorted(found, key=order.__getitem__), spans, language))
            if union != set(labels):
                where = span_file if span_file is not None else spans_dir
                raise InputError(
                    f"{where}: the spans give the sentences of article {article_id} line {line_no} "
                    f"{sorted(union, key=order.__getitem__)} but {labels_file}:{number} says {labels}"
                )
    return rows


def guess_language(path: Path) -> str | None:
    """The language a folder's path names, or None.

    The component nearest the folder that is one of LANGUAGE_CODES, or that code after
    "semeval2023-", names it: ``data/semeval2023-multi/en/train`` is "en",
    ``data/semeval2023-fr/train`` is "fr". The path is made absolute first (``..``
    resolved, links not followed), so "." inside ``en/train`` is "en" too.
    """
    for part in reversed(Path(os.path.abspath(path)).parts):
        name = part.lower()
        if name.startswith(LANGUAGE_FOLDER_PREFIX):
            name = name[len(LANGUAGE_FOLDER_PREFIX):]
        if name in LANGUAGE_CODES:
            return name
    return None


def folder_languages(paths: Sequence[Path], languages: Sequence[str] = ()) -> list[str]:
    """Each folder's language: ``languages`` in order (one per folder), else guessed from its path.

    A folder imported alone whose language cannot be guessed gets "" (unknown); among
    several folders it is an error naming the folder, since its rows' ids need the code.
    """
    if languages:
        if len(languages) != len(paths):
            raise InputError(f"--language given {len(languages)} time(s) for {len(paths)} folder(s): give it once "
                             "per folder, in order, or leave it out to guess each language from its path")
        for path, code in zip(paths, languages):
            if not _LANGUAGE_CODE.match(code):
                raise InputError(f"{path}: language {quote(code)} is not a code (letters, digits, '_' or '-', "
                                 "starting with a letter, e.g. fr)")
        return list(languages)
    codes = []
    for path in paths:
        code = guess_language(path)
        if code is None and len(paths) > 1:
            raise InputError(f"{path}: cannot tell its language from the path (no component named "
                             f"{', '.join(LANGUAGE_CODES)} or {LANGUAGE_FOLDER_PREFIX}<code>); "
                             "pass --language CODE once per folder")
        codes.append(code or "")
    return codes


def _prefixed(row: dict, language: str) -> dict:
    """A row with its article id (and so its row id) prefixed with "<language>/"."""
    article_id = f"{language}/{row['article_id']}"
    return {**row, "article_id": article_id, "id": sentence_id(article_id, row["start"], row["end"])}


def import_semeval_folders(
    paths: Sequence[Path], taxonomy: Taxonomy, level: str = PARAGRAPH, languages: Sequence[str] = (),
) -> list[dict]:
    """Several SemEval-2023 Task 3 folders -> one list of dataset rows, each with its folder's language.

    Languages come from ``languages`` (one per folder) or are guessed from the paths
    (:func:`guess_language`). A folder alone keeps the article ids of :func:`import_semeval`.
    Several folders have their article ids, and so row ids, prefixed with "<language>/"
    ("en/111:0-52"), since SemEval reuses ids across languages; two folders of one
    language (train and dev) must then not share an article id, or the import stops
    naming both. Rows come folder by folder, in the order given.
    """
    if not paths:
        raise InputError("no SemEval folder given")
    codes = folder_languages(paths, languages)
    if len(paths) == 1:
        return import_semeval(paths[0], taxonomy, level, codes[0])
    rows: list[dict] = []
    origin: dict[str, Path] = {}  # prefixed article id -> the folder it came from
    for path, code in zip(paths, codes):
        folder_rows = [_prefixed(row, code) for row in import_semeval(path, taxonomy, level, code)]
        for article_id in sorted({row["article_id"] for row in folder_rows}):
            if article_id in origin:
                raise InputError(f"{path}: article {article_id.split('/', 1)[1]} is also in {origin[article_id]}, "
                                 f"both of language '{code}', so their ids would clash; import one of them apart")
            origin[article_id] = Path(path)
        rows.extend(folder_rows)
    return rows


def count_by_language(rows: Iterable[dict]) -> dict[str, dict[str, int]]:
    """Language -> articles, rows and rows with a technique; languages in the order they first appear."""
    articles: dict[str, set[str]] = {}
    counts: Counter = Counter()
    labelled: Counter = Counter()
    for row in rows:
        language = row.get("language", "")
        articles.setdefault(language, set()).add(row["article_id"])
        counts[language] += 1
        labelled[language] += bool(row["labels"])
    return {language: {"articles": len(articles[language]), "rows": counts[language], "labelled": labelled[language]}
            for language in counts}


# -- predicting and scoring ------------------------------------------------------------

def semeval_lines(path: Path) -> list[tuple[str, int, str]]:
    """(article id, line number from 1, stripped text) of every non-empty line: what a predictor labels.

    Needs only articles/, so it works on the task's dev and test folders too.
    """
    lines = []
    for article_id, document in read_articles(path).items():
        for line_no, (start, end) in enumerate(line_offsets(document), start=1):
            text = document[start:end].strip()
            if text:
                lines.append((article_id, line_no, text))
    return sorted(lines, key=lambda line: (line[0], line[1]))


def write_predictions(rows: Iterable[tuple[str, int, list[str]]], out: Path) -> int:
    """Write the official prediction file (article_id, line_no, techniques) atomically; return the row count."""
    out = Path(out)
    seen: set[tuple[str, int]] = set()
    count = 0
    with atomic_write(out) as handle:
        for article_id, line_no, techniques in rows:
            place = f"{out}: article {quote(article_id)} line {quote(line_no)}"
            if not article_id or any(c in article_id for c in "\t\r\n"):
                raise InputError(f"{place}: an article id must be non-empty, without tabs or line breaks")
            if isinstance(line_no, bool) or not isinstance(line_no, int) or line_no < 1:
                raise InputError(f"{place}: the line number must be an integer from 1")
            for name in techniques:
                if not name or any(c in name for c in ",\t\r\n"):
                    raise InputError(f"{place}: technique {quote(name)} cannot be written (empty, or a comma, "
                                     "tab or line break in it)")
            if (article_id, line_no) in seen:
                raise InputError(f"{place}: predicted twice")
            seen.add((article_id, line_no))
            handle.write(f"{article_id}\t{line_no}\t{','.join(techniques)}\n")
            count += 1
    return count


def _row_name(key: tuple[str, int]) -> str:
    return f"article {key[0]} line {key[1]}"


def score_semeval(
    gold: Labels,
    predicted: Labels,
    techniques: list[str],
    *,
    gold_origin: str = "gold",
    predicted_origin: str = "predictions",
) -> dict:
    """Score predictions the way the official subtask-3 scorer does.

    The rows are the gold rows; each needs a prediction, and a prediction for a row the
    gold lacks is an error too (it means the two files are of different folders).
    Micro-F1 is the official metric; macro-F1 averages over every technique given,
    counting 0 for one that is neither in the gold nor predicted, as the official scorer
    does. ``*_origin`` name the inputs (file paths) in error messages.
    """
    if len(set(techniques)) != len(techniques):
        raise InputError(f"duplicate technique names in the scored techniques: {techniques}")
    if not gold:
        raise InputError(f"{gold_origin}: no rows to score")
    missing = [key for key in sorted(gold) if key not in predicted]
    if missing:
        raise InputError(f"{predicted_origin}: no prediction for {_row_name(missing[0])} "
                         f"({len(missing)} gold row(s) without a prediction)")
    extra = [key for key in sorted(predicted) if key not in gold]
    if extra:
        raise InputError(f"{predicted_origin}: a prediction for {_row_name(extra[0])}, which {gold_origin} "
                         f"does not have ({len(extra)} such row(s))")
    known = set(techniques)
    for origin, labels in ((gold_origin, gold), (predicted_origin, predicted)):
        for key in sorted(labels):
            unknown = [name for name in labels[key] if name not in known]
            if unknown:
                raise InputError(f"{origin}: {_row_name(key)}: technique '{unknown[0]}' is not one of the "
                                 f"{len(techniques)} scored techniques")

    from sklearn.metrics import f1_score, precision_recall_fscore_support, precision_score, recall_score
    from sklearn.preprocessing import MultiLabelBinarizer

    keys = sorted(gold)
    binarizer = MultiLabelBinarizer(classes=techniques)
    y_true = binarizer.fit_transform([gold[key] for key in keys])
    y_pred = binarizer.transform([predicted[key] for key in keys])
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(range(len(techniques))), average=None, zero_division=0)
    return {
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "micro_precision": float(precision_score(y_true, y_pred, average="micro", zero_division=0)),
        "micro_recall": float(recall_score(y_true, y_pred, average="micro", zero_division=0)),
        "rows": len(keys),
        "per_label": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                   "support": int(support[i])}
            for i, name in enumerate(techniques)
        },
    }
