"""Spans of the sentence's text (offsets into it): a span cut clean of punctuation, sources
joined by "et", a name's description, and the content an attribution attributes."""

from __future__ import annotations

import re

from annotate.sources.attribution.record import Attribution
from annotate.sources.attribution.syntax import REACHED
from annotate.sources.attribution.word_lists import words
from annotate.text.segment import Span


def text_span(text: str, start: int, end: int) -> Span | None:
    """The span of ``text`` from ``start`` to ``end`` without the punctuation and spaces around
    it nor a leading conjunction; None when nothing, or only a conjunction, is left."""
    while start < end and text[start] in " ,;:«»\"'\u00a0\u202f":
        start += 1
    lead = re.match(r"(?:et|ou|mais|puis|donc)\s+", text[start:end], re.IGNORECASE)
    if lead:
        start += lead.end()  # "..., et l'étude publiée par X": the conjunction is not the source
    while end > start and text[end - 1] in " ,;:.«»\"\u00a0\u202f":
        end -= 1
    if text[start:end].lower() in ("et", "ou", "mais", "puis", "donc", "ni"):
        return None
    return Span(start, end, text[start:end]) if end > start else None


_COORDINATED = re.compile(r",?\s+(?:et|ou|ainsi que)\s+(?=(?:le|la|les|l'|un|une|des|plusieurs|certains|certaines|"
                          r"son|sa|ses|leur|leurs)\b|[A-ZÀ-Ý])")


def coordinated(text: str, mention: Span) -> list[Span]:
    """Two sources joined by "et" ("des messages relayés sur Facebook et une chaîne Telegram")
    are two attributions; "le ministère de l'Intérieur et de la Sécurité" is one."""
    parts, start = [], mention.start
    plural = mention.text.split()[0].lower() in words().plural_openings
    for match in _COORDINATED.finditer(text.replace("’", "'"), mention.start, mention.end):
        if text[match.end():match.end() + 4].lower() == "des " and not plural:
            continue  # "le ministère de l'Économie et des Finances": "des" is "de les"
        parts.append(text_span(text, start, match.start()))
        start = match.end()
    if not parts:
        return [mention]
    parts.append(text_span(text, start, mention.end))
    return [p for p in parts if p is not None] or [mention]


_APPOSITION = re.compile(r",\s+((?:l'|le |la |les |un |une )?[a-zàâçéèêëîïôûù][^,«»]{2,140}?)(?:,|[.!?…]?\s*$)")
_FINITE = re.compile(r"\b(?:a|ont|est|sont|avait|avaient|était|étaient|serait|aurait|sera|va|vont|fait|font)\b")


def with_apposition(text: str, mention: Span) -> Span:
    """A bare name followed by its description between commas takes the description along
    ("Ilse Marquant, coordinatrice de l'organisation dans la région, a déclaré"): it is what
    identifies the source, and what its kind is read from."""
    first = mention.text.split()[:1]
    if not first or not first[0][:1].isupper() or first[0].lower() in words().articles or "," in mention.text:
        return mention  # not a name, or one that already has its description
    match = _APPOSITION.match(text.replace("’", "'"), mention.end)
    if match is None or len(match.group(1).split()) > 18 or _FINITE.search(match.group(1)) or \
            re.match(r"(?:qui|que|qu'|dont|où|lequel|laquelle|lesquel)\b", match.group(1)) or \
            re.search(r"(?<!\w)(?:que|qu')(?!\w)", match.group(1)) or \
            REACHED.match(match.group(1)):
        return mention  # too long, or a clause ("qui suit le dossier"), not a description
    end = match.end(1)
    return Span(mention.start, end, text[mention.start:end])


QUOTE = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"]*\"")  # a quotation, in any of its marks
# Between a quote and the cue that follows it: ", a déclaré", "», a-t-il ajouté", " — affirme".
_BETWEEN = re.compile(r"[\s,\u00a0\u202f–—-]*(?:(?:a|ont|avait|avaient|aura|auraient|aurait)(?:-t-(?:il|elle|on))?"
                      r"\s+)?")
_THAT = re.compile(r"(?<!\w)(?:que|qu')\s*", re.IGNORECASE)


def attributed_content(text: str, attribution: Attribution) -> Span | None:
    """What is attributed, when it can be told: the quote the cue introduces or follows, the
    clause after "que", or, for "selon X, ...", the rest of the sentence."""
    if attribution.cue is None or attribution.rule in ("source-line",):
        return None
    cue = attribution.cue
    anchor = attribution.mention or cue
    quotes = list(QUOTE.finditer(text))
    clitic = attribution.mention is not None and attribution.mention.text.lower() in words().pronouns and \
        attribution.mention.start < cue.start  # "a-t-il ajouté": the pronoun sits inside the verb group
    boundary = cue.start if clitic else min(cue.start, anchor.start)
    before = [q for q in quotes if q.end() <= boundary and _BETWEEN.fullmatch(text[q.end():boundary])]
    if before:  # "« ... », a déclaré X"
        q = before[-1]
        return Span(q.start(), q.end(), text[q.start():q.end()])
    after_cue = max(cue.end, attribution.mention.end if attribution.mention else cue.end)
    following = [q for q in quotes if q.start() >= after_cue and
                 re.fullmatch(r"[\s:,\u00a0\u202f]*", text[after_cue:q.start()])]
    if following:  # "X a déclaré : « ... »"
        q = following[0]
        return Span(q.start(), q.end(), text[q.start():q.end()])
    if re.search(r"(?<!\w)(?:que|qu')$", cue.text.strip(), re.IGNORECASE):  # "il se dit que ..."
        return text_span(text, cue.end, len(text.rstrip(" .!?…")))
    that = _THAT.match(text, after_cue) or _THAT.match(text, after_cue + 1)
    if that is None and attribution.rule in ("subject", "agentless"):
        that = _THAT.search(text, cue.end, min(len(text), cue.end + 40))
    if that is not None:  # "X affirme que ..."
        end = len(text.rstrip(" .!?…"))
        return text_span(text, that.end(), end)
    if attribution.rule == "inverted":  # "La production a progressé de 12 %, a annoncé le ministère."
        comma = text.rfind(",", 0, boundary)
        if comma > 0:
            return text_span(text, 0, comma)
    if attribution.rule in ("preposition", "opinion") and cue.start < 3:  # "Selon X, ..." opens the sentence
        comma = text.find(",", anchor.end)
        if comma > 0:
            return text_span(text, comma + 1, len(text.rstrip(" .!?…")))
    return None
