"""French paragraph and sentence segmentation with character offsets.

Rules written for news copy rather than a general-purpose splitter, because the cases
that matter here are the ones general splitters get wrong (see NOTES.md):

- a quote «...» is never cut, so it stays with its «..., a indiqué X» clause, even when it
  holds several sentences or ends in ! or ? followed by a lower-case clause;
- a boundary needs terminal punctuation, white space, then something that can open a
  sentence (a capital, a digit, an opening quote or a dash): "... et puis… plus rien"
  and "«Assez !» a lancé" stay whole;
- abbreviations (M., Mme., Dr., art., cf., etc.), initials (J.-P.) and dotted acronyms
  (S.N.C.F.) do not end a sentence; "14 h." before a capital does;
- a paragraph is a non-empty line: "Source : Divers" on its own line is its own sentence;
- a "sentence" longer than MAX_SENTENCE_CHARS (a paragraph without punctuation, pasted
  tables, a runaway scrape) is cut at the last white space before the limit, so no task
  carries megabytes.

Offsets are into the text as given (Python code points); nothing is normalised, so
``text[start:end]`` is always the sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

# Lower-cased, without the final period. Only words that are almost never the last
# word of a French sentence belong here ("etc." often is, so it is not).
ABBREVIATIONS: frozenset[str] = frozenset(
    """
    m mm mme mmes mlle mlles dr drs pr me mgr st ste sts
    gén gal col cdt cne lt sgt adj capt
    art arts al alin chap cf coll éd ed env ex fig hab ibid id
    n no nos nº p pp réf resp sq suiv tél tel vol vs
    av apr bd boul fg pl rte
    janv févr fév avr juil sept oct nov déc
    """.split()
)

# A token made of single capitals joined by periods or hyphens: initials (J., J.-P.)
# and dotted acronyms (S.N.C.F.). An acronym without periods ("l'OMS.", "la TNK.") is a
# word like any other: it can end a sentence.
_INITIALS = re.compile(r"^[A-ZÀ-ÖØ-Ý](?:\.-?[A-ZÀ-ÖØ-Ý])*$")

_SPACE = "\\s\u00a0\u202f"
# Terminal punctuation, then closing quotes/brackets (French typography may put a
# space before »), then the white space that separates two sentences.
_BOUNDARY = re.compile(
    rf"(?P<punct>[.!?…]+)(?P<closers>(?:[{_SPACE}]*[»”\"’)\]])*)(?P<space>[{_SPACE}]+)"
)
_OPENS_SENTENCE = re.compile(r"[A-ZÀ-ÖØ-Þ0-9«“\"'(\[—–-]")
_OPEN_QUOTES = "«“"
MAX_SENTENCE_CHARS = 5_000  # about 50 lines of text: longer pieces are cut at white space
_CLOSE_QUOTES = "»”"


@dataclass(frozen=True)
class Span:
    """A piece of a text: ``text == document[start:end]``."""

    start: int
    end: int
    text: str


def split_paragraphs(document: str) -> Iterator[Span]:
    """Yield every non-empty line of ``document`` with its offsets, trimmed of white space."""
    offset = 0
    for line in document.split("\n"):
        stripped = line.strip()
        if stripped:
            start = offset + (len(line) - len(line.lstrip()))
            yield Span(start, start + len(stripped), stripped)
        offset += len(line) + 1


def _last_token(text: str, end: int) -> str:
    """The word that ends at ``end`` (exclusive), without leading quotes or brackets."""
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    token = text[start:end].lstrip("«“\"'([")
    # "l'art." -> "art.": French elision glues an article to the abbreviation.
    return re.split(r"['’]", token)[-1]


def _quote_depths(text: str) -> list[int] | None:
    """Guillemet nesting depth after each character, or None when quotes do not balance.

    Unbalanced quotes (a typo, a quote continued in the next paragraph) would glue the rest
    of the paragraph into one sentence, so then quotes are ignored altogether.
    """
    depth = 0
    depths = []
    for char in text:
        if char in _OPEN_QUOTES:
            depth += 1
        elif char in _CLOSE_QUOTES and depth > 0:
            depth -= 1
        elif char in _CLOSE_QUOTES:
            return None
        depths.append(depth)
    return depths if depth == 0 else None


def _is_boundary(text: str, match: re.Match[str], depths: list[int] | None) -> bool:
    after = match.end()
    if after >= len(text) or not _OPENS_SENTENCE.match(text, after):
        return False
    if depths is not None and depths[match.end("closers") - 1] > 0:
        return False  # inside «...»: the quote stays whole
    punct = match.group("punct")
    if punct == ".":
        token = _last_token(text, match.start("punct"))
        if token.lower() in ABBREVIATIONS or _INITIALS.match(token):
            return False
    return True


def split_sentences(paragraph: str, offset: int = 0) -> Iterator[Span]:
    """Yield the sentences of one paragraph; offsets are shifted by ``offset``."""
    depths = _quote_depths(paragraph)
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        if _is_boundary(paragraph, match, depths):
            end = match.end("closers")
            yield from _cut_long(paragraph, start, end, offset)
            start = match.end()
    rest = paragraph[start:].rstrip()
    if rest:
        yield from _cut_long(paragraph, start, start + len(rest), offset)


def _cut_long(text: str, start: int, end: int, offset: int, limit: int = MAX_SENTENCE_CHARS) -> Iterator[Span]:
    """``text[start:end]`` as one span, or as pieces of at most ``limit`` characters cut
    after the last white space before the limit (mid-word only where there is none)."""
    while end - start > limit:
        cut = max(text.rfind(" ", start + 1, start + limit), text.rfind("\n", start + 1, start + limit))
        cut = cut if cut > start else start + limit
        piece = text[start:cut].rstrip()
        yield Span(offset + start, offset + start + len(piece), piece)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield Span(offset + start, offset + end, text[start:end])


def segment(document: str) -> Iterator[tuple[int, Span, Span]]:
    """Yield ``(paragraph_index, paragraph, sentence)`` for every sentence of a document."""
    for index, paragraph in enumerate(split_paragraphs(document)):
        for sentence in split_sentences(paragraph.text, paragraph.start):
            yield index, paragraph, sentence
