"""Article sourcing profiles: how an article supports what it says, in figures and words.

From the attributions of each sentence (`annotate.sources.attribution`), per article:

- how many attributions, and the share that are named, anonymous or vague, and
  state-affiliated media;
- how dominant the most cited source is (one party quoted for most claims);
- the body sentences that attribute nothing (what the article asserts on its own
  authority), and the share of them;
- sources the registry rates low;
- a sourcing score from 0 to 100 with the reasons it lost points, in words.

The score is a reading aid for fact-checkers, not a verdict: its weights are below, in
one place, and every point lost is explained.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from annotate.sources.registry import normalise

# Points lost, at most, for each weakness (the score starts at 100).
PENALTIES = {"anonymous": 35, "state_media": 20, "dominance": 15, "unattributed": 20, "low_reliability": 10}
DOMINANCE_FLOOR = 0.5  # a top source with more than half of the attributions starts to cost
MIN_ATTRIBUTIONS_FOR_DOMINANCE = 3


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
    kinds: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def profile_article(article_id: str, title: str, sentences: list[tuple[int, list]], registry=None) -> ArticleProfile:
    """``sentences``: (paragraph index, attributions) for each sentence in reading order;
    paragraph 0 is the title."""
    body = [(paragraph, found) for paragraph, found in sentences if paragraph > 0]
    attributions = [a for _, found in sentences for a in found]
    kinds = Counter(a.kind for a in attributions)
    anonymous = kinds["anonymous_vague"]
    state = kinds["state_media"]
    named = len(attributions) - anonymous
    low = 0
    names = Counter()
    shown: dict[str, str] = {}  # how a source is first written in the article
    for a in attributions:
        if a.kind == "anonymous_vague" or a.mention is None and not a.refers_to:
            continue
        name = a.refers_to or a.mention.text
        entry = registry.match(name) if registry is not None else None
        key = entry.id if entry is not None else normalise(name)
        shown.setdefault(key, entry.name if entry is not None else name)
        names[key] += 1
        low += entry is not None and entry.reliability == "low"
    top_key, top_count = names.most_common(1)[0] if names else ("", 0)
    top = shown.get(top_key, "")
    top_share = top_count / len(attributions) if attributions else 0.0
    unattributed = sum(1 for _, found in body if not found)
    score, reasons = 100.0, []

    def lose(penalty: str, share: float, reason: str) -> None:
        nonlocal score
        lost = PENALTIES[penalty] * share
        score -= lost
        reasons.append(f"{reason} (-{lost:.0f})")

    total = len(attributions)
    if total == 0:
        score -= PENALTIES["anonymous"] + PENALTIES["unattributed"]
        reasons.append("cites no source at all")
    else:
        if anonymous:
            lose("anonymous", anonymous / total, f"{anonymous} of {total} attributions are anonymous or vague")
        if state:
            lose("state_media", state / total, f"{state} of {total} attributions are to state-affiliated media")
        if total >= MIN_ATTRIBUTIONS_FOR_DOMINANCE and top_share > DOMINANCE_FLOOR:
            lose("dominance", (top_share - DOMINANCE_FLOOR) / (1 - DOMINANCE_FLOOR),
                 f"one source, {top}, carries {top_share:.0%} of the attributions")
        if low:
            lose("low_reliability", low / total, f"{low} attributions to sources the registry rates low")
        if body and unattributed:
            lose("unattributed", unattributed / len(body), f"{unattributed} of {len(body)} sentences attribute nothing")
    if not reasons:
        reasons.append("every attribution is named, none dominates")
    own = sum(a.self_citation for a in attributions)
    if own:
        reasons.append(f"{own} attributions are to the outlet itself (no points lost: said for the reader)")
    return ArticleProfile(article_id, title, len(sentences), total, named, anonymous, state, low, top,
                          round(top_share, 3), unattributed, own, max(0, round(score)), reasons, dict(kinds))


def profile_corpus(sentences: Iterable, registry=None, attributor=None) -> Iterable[ArticleProfile]:
    """Profiles of every article of a stream of sentences (`annotate.text.corpus.Sentence`, in
    reading order), one article in memory at a time."""
    from annotate.sources.attribution import Attributor

    attributor = attributor or Attributor(registry)
    current: list = []

    def flush() -> ArticleProfile:
        found = attributor([(s.article_id, s.text, s.outlet) for s in current])
        return profile_article(current[0].article_id, current[0].title,
                               [(s.paragraph_index, f) for s, f in zip(current, found)], registry)

    for sentence in sentences:
        if current and sentence.article_id != current[0].article_id:
            yield flush()
            current = []
        current.append(sentence)
    if current:
        yield flush()
