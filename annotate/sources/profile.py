"""Article sourcing profiles: how an article supports what it says, in figures and words.

From the attributions of each body sentence (`annotate.sources.attribution`; the headline's are not
counted: a headline repeats the body), per article, on its sources (`annotate.sources.entities`: the
mentions of one speaker grouped, a pronoun counted for what it refers to, a minister with the
ministry, a person with the office an apposition gives them):

- how many attributions, and the share that are anonymous or vague, and to state-affiliated
  media (an entity's kind is decided once for all its mentions);
- *the authorities' line* (:func:`authorities_line`): when state-affiliated media speak, they and
  the officials of their side (those that name no other country than theirs) are one voice if they
  have fewer than ``FULL_VOICES`` voices between them: a ministry, its minister and its news agency
  relay one party's claims however many times they are named. A prefect, a mayor and the UN quoted
  beside a foreign state channel are several voices, not a line, and lose nothing for it. The
  line's share of the attributions costs up to ``official_line`` points: a government's claims
  relayed by its own press is the pattern a fact-checker looks for;
- how many distinct sources speak, and how many *voices*: the effective number of sides,
  ``1 / sum(share ** 2)`` over the shares of the attributions each named source carries (the
  authorities' line counted as one: 1: one source says everything; 2: two sources share it evenly;
  5 equal sources: 5). Fewer than three voices costs points: a piece that relays one party,
  however many times, is one-sided;
- the share carried by the most cited source;
- the body sentences that attribute nothing (what the article asserts on its own authority);
- sources the registry rates low, a vague source line ("Source : Divers");
- the outlet's own rating, with where it comes from (the registry, else an imported rating set:
  `propa sources import-ratings`), shown but not scored: an outlet's reputation says nothing of
  how this article is sourced;
- a sourcing score from 0 to 100 with the reasons it lost points, in words.

A piece that relays one government's claims through its state agency with a vague source line
thus loses for the state media, for the line, for speaking with one voice and for the source line,
and lands in the weak band; wire copy that quotes a state outlet among many other voices loses only
the state outlet's share. The score is a reading aid for fact-checkers, not a verdict: its weights
are below, in one place, and every point lost is explained.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

# Points lost, at most, for each weakness (the score starts at 100).
PENALTIES = {"anonymous": 30, "state_media": 30, "one_sided": 35, "unattributed": 15, "low_reliability": 15,
             "vague_source_line": 8, "official_line": 25}
NO_SOURCE = 65  # points lost by an article that cites nobody at all
FULL_VOICES = 3.0  # from this many voices on, no point lost for one-sidedness
MIN_ATTRIBUTIONS = 3  # fewer attributions say too little about sides
BANDS = ((70, "solid"), (45, "mixed"), (0, "weak"))  # the lowest score of each band, best first


def band(score: int) -> str:
    return next(name for low, name in BANDS if score >= low)


@dataclass
class ArticleProfile:
    article_id: str
    title: str
    sentences: int
    attributions: int
    named: int
    anonymous: int
    state_media: int
    low_reliability: int
    top_source: str
    top_share: float
    unattributed: int  # body sentences that cite nobody
    self_citations: int  # attributions to the article's own outlet
    score: int
    reasons: list[str] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)  # attributions per kind (an entity's kind for all)
    sources: int = 0  # distinct named sources
    voices: float = 0.0  # the effective number of sides: sources, the authorities' line as one (see the module)
    band: str = ""
    entities: list[dict] = field(default_factory=list)  # each source: id, name, kind, reliability, mentions...
    outlet: str = ""
    outlet_rating: dict | None = None  # annotate.sources.ratings.Rating.to_dict() and "describe"
    # each point lost as data, for reports that word it their own way: {"penalty": a key of PENALTIES or
    # "no_source", "points": points lost, and the figures its reason gives}, in the order of ``reasons``
    losses: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def authorities_line(counts: Counter, by_id: dict, countries=()) -> list[str]:
    """The sources that speak as one for the authorities, in order of appearance: when
    state-affiliated media speak, they and the official sources of their side (those that name no
    other country than theirs, :func:`annotate.sources.entities.countries_of`), if officials are
    among them and they all have fewer than ``FULL_VOICES`` voices between them: a ministry, its
    minister and its agency are one line; a prefect, a mayor and the UN quoted beside a foreign
    state channel are not. Empty when there is no such line."""
    from annotate.sources.entities import countries_of, voices_of

    media = [i for i in counts if by_id[i].kind == "state_media"]
    if not media:
        return []
    theirs = frozenset().union(*(countries_of(by_id[i], countries) for i in media))

    def of_their_side(entity_id: str) -> bool:
        if by_id[entity_id].kind == "state_media":
            return True
        named = countries_of(by_id[entity_id], countries)
        return by_id[entity_id].kind == "official" and not (theirs and named and not named & theirs)

    line = [i for i in counts if of_their_side(i)]
    if not any(by_id[i].kind == "official" for i in line) or voices_of(counts[i] for i in line) >= FULL_VOICES:
        return []
    return line


def profile_article(article_id: str, title: str, sentences: list[tuple[int, list]], registry=None,
                    outlet: str = "", url: str = "", ratings=(), texts=()) -> ArticleProfile:
    """``sentences``: (paragraph index, attributions) for each sentence in reading order;
    paragraph 0 is the title, whose attributions are not counted (a headline repeats the body).
    ``ratings``: imported rating sets, for the outlet's rating. ``texts``: the sentences' text, for
    the offices they give people in apposition (:func:`annotate.sources.entities.group_attributions`)."""
    from annotate.sources.entities import group_attributions, known_countries, voices_of

    body = [(paragraph, found) for paragraph, found in sentences if paragraph > 0]
    attributions = [a for _, found in body for a in found]
    entities, ids = group_attributions(attributions, registry, texts)
    by_id = {entity.id: entity for entity in entities}
    kinds = Counter(by_id[i].kind if i else a.kind for a, i in zip(attributions, ids))
    total = len(attributions)
    anonymous = kinds["anonymous_vague"]
    state = kinds["state_media"]
    low = sum(by_id[i].reliability == "low" for i in ids if i)
    counts = Counter(i for i in ids if i)
    top_id, top_count = counts.most_common(1)[0] if counts else ("", 0)
    top = by_id[top_id].name if top_id else ""
    top_share = top_count / total if total else 0.0
    line = authorities_line(counts, by_id, known_countries(registry))
    sides: Counter = Counter()
    for entity_id, count in counts.items():
        sides["line" if entity_id in line else entity_id] += count
    heard = voices_of(sides.values())
    side_id, side_count = sides.most_common(1)[0] if sides else ("", 0)
    loudest = "the authorities' line" if side_id == "line" else by_id[side_id].name if side_id else ""
    source_line = next((a for a in attributions if a.rule == "source-line" and a.kind == "anonymous_vague"), None)
    unattributed = sum(1 for _, found in body if not found)
    score, reasons, losses = 100.0, [], []

    def lose(penalty: str, share: float, reason: str, **figures) -> None:
        nonlocal score
        lost = PENALTIES[penalty] * share
        score -= lost
        reasons.append(f"{reason} (-{lost:.0f})")
        losses.append({"penalty": penalty, "points": round(lost), **figures})

    if total == 0:
        score -= NO_SOURCE
        reasons.append(f"cites no source at all (-{NO_SOURCE})")
        losses.append({"penalty": "no_source", "points": NO_SOURCE})
    else:
        if anonymous:
            lose("anonymous", anonymous / total, f"{anonymous} of {total} attributions are anonymous or vague",
                 count=anonymous, total=total)
        if state:
            lose("state_media", state / total, f"{state} of {total} attributions are to state-affiliated media",
                 count=state, total=total)
        if line:
            relayed = sum(counts[i] for i in line)
            names = [by_id[i].name for i in line]
            lose("official_line", relayed / total, f"the authorities' line ({'; '.join(names)})"
                 f", relayed by their own media, is {relayed} of {total} attributions, one voice",
                 names=names, count=relayed, total=total)
        if total >= MIN_ATTRIBUTIONS and heard < FULL_VOICES:
            lose("one_sided", min(1.0, (FULL_VOICES - heard) / (FULL_VOICES - 1)),
                 f"{heard:.1f} voices: {loudest} carries {side_count / total:.0%} of the attributions"
                 if loudest else f"{heard:.1f} voices", voices=round(heard, 1),
                 loudest="" if side_id == "line" else loudest, line=side_id == "line",
                 carried=round(side_count / total, 3))
        if low:
            lose("low_reliability", low / total, f"{low} attributions to sources the registry rates low",
                 count=low, total=total)
        if source_line is not None:
            said = source_line.mention.text if source_line.mention is not None else ""
            lose("vague_source_line", 1.0, f"a vague source line (\"{said}\")" if said else "a vague source line",
                 text=said)
        if body and unattributed:
            lose("unattributed", unattributed / len(body), f"{unattributed} of {len(body)} sentences attribute nothing",
                 count=unattributed, total=len(body))
    if not reasons:
        reasons.append(f"{heard:.1f} voices, every attribution named")
    own = sum(a.self_citation for a in attributions)
    if own:
        reasons.append(f"{own} attributions are to the outlet itself (no points lost: said for the reader)")
    rating = None
    if url or outlet:
        from annotate.sources.ratings import lookup

        found_rating = lookup(url, ratings, registry, outlet) if url or registry is not None else None
        if found_rating is not None:
            rating = {**found_rating.to_dict(), "describe": found_rating.describe()}
    final = max(0, round(score))
    return ArticleProfile(article_id, title, len(sentences), total, total - anonymous, anonymous, state, low, top,
                          round(top_share, 3), unattributed, own, final, reasons, dict(kinds), len(entities), heard,
                          band(final), [entity.to_dict() for entity in entities], outlet, rating, losses)


def profile_corpus(sentences: Iterable, registry=None, attributor=None, ratings=()) -> Iterable[ArticleProfile]:
    """Profiles of every article of a stream of sentences (`annotate.text.corpus.Sentence`, in
    reading order), one article in memory at a time."""
    from annotate.sources.attribution import Attributor

    attributor = attributor or Attributor(registry)
    current: list = []

    def flush() -> ArticleProfile:
        found = attributor([(s.article_id, s.text, s.outlet) for s in current])
        first = current[0]
        return profile_article(first.article_id, first.title, [(s.paragraph_index, f) for s, f in zip(current, found)],
                               registry, first.outlet, first.url, ratings, [s.text for s in current])

    for sentence in sentences:
        if current and sentence.article_id != current[0].article_id:
            yield flush()
            current = []
        current.append(sentence)
    if current:
        yield flush()
