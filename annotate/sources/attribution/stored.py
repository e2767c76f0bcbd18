"""Attributions for a stream of sentences: parsed in batches (:class:`Attributor`), or read
back from a corpus `propa ingest --sources` wrote (:class:`StoredAttributions`), with the
citations of an article's own outlet flagged (:func:`mark_self_citation`)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING

from annotate.errors import InputError
from annotate.sources.attribution.extraction import extract_parsed
from annotate.sources.attribution.record import Attribution
from annotate.sources.attribution.state import ArticleState
from annotate.sources.attribution.syntax import french_pipeline

if TYPE_CHECKING:
    from annotate.sources.kinds import KindModel
    from annotate.sources.registry import Registry


class ArticleEntities:
    """The entity of each attribution (:mod:`annotate.sources.entities`), one article at a time, for
    attributions given in reading order; those that already carry one keep it."""

    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry
        self.article: str | None = None
        self.grouper = None

    def __call__(self, article: str, found: list[Attribution], text: str = "") -> list[Attribution]:
        """``found`` in the sentence ``text`` (whose acronym definitions are learnt, see
        :meth:`annotate.sources.entities.EntityGrouper.learn_acronyms`)."""
        from annotate.sources.entities import EntityGrouper

        if article != self.article or self.grouper is None:
            self.article, self.grouper = article, EntityGrouper(self.registry)
        if text:  # "Le ministre de l'Intérieur, Dragan Volesk, a promis...": a later "Volesk" is the ministry's
            self.grouper.learn_titles(text)
        out, placed = [], []
        for attribution in found:
            name = attribution.refers_to or (attribution.mention.text if attribution.mention is not None else "")
            entity = None if attribution.entity else self.grouper.assign(name, attribution.kind)
            out.append(dataclasses.replace(attribution, entity=entity.id, entity_name=entity.name)
                       if entity is not None else attribution)
            if entity is not None and attribution.mention is not None:
                placed.append((attribution.mention.start, attribution.mention.end, entity))
        if text and placed:
            self.grouper.learn_acronyms(text, placed)
        return out


class Attributor:
    """Attributions for a stream of (article id, sentence) in reading order, parsed in
    batches with ``nlp.pipe``; a pronoun resolves to the last named source of its article. With a
    ``tagger``, its spans are added where the rules found nothing (``rule="tagger"``)."""

    def __init__(self, registry: Registry | None = None, batch_size: int = 64, kinds: KindModel | None = None,
                 tagger=None):
        self.registry = registry
        self.kinds = kinds
        # texts -> the source spans of each (train.models.span_tagger.SpanTagger), added to the rules'
        self.tagger = tagger
        self.batch_size = batch_size
        self.nlp = french_pipeline()
        self.article: str | None = None
        self.state = ArticleState()
        self.entities = ArticleEntities(registry)

    def __call__(self, items: list[tuple]) -> list[list[Attribution]]:
        """``items``: (article id, sentence) or (article id, sentence, outlet of the article)."""
        docs = self.nlp.pipe((item[1].replace("’", "'") for item in items), batch_size=self.batch_size)
        tagged = self.tagger([item[1] for item in items]) if self.tagger is not None else [()] * len(items)
        out = []
        for item, doc, spans in zip(items, docs, tagged):
            article, text, outlet = item[0], item[1], (item[2] if len(item) > 2 else "")
            if article != self.article:
                self.article, self.state = article, ArticleState()
                self.entities.article = None  # a new article, even if it has the last one's id
            found = extract_parsed(text, doc, self.registry, self.state, self.kinds, spans)
            found = [mark_self_citation(a, outlet, self.registry) for a in found] if outlet else found
            out.append(self.entities(article, found, text))
        return out


class StoredAttributions:
    """The attributions `propa ingest --sources` stored in a sentence corpus, read back in
    step with the corpus's sentences instead of parsing them again: a drop-in for
    :class:`Attributor` (same call), streaming, one line at a time."""

    def __init__(self, corpus: Path, registry: Registry | None = None):
        from annotate.files import jsonl_records

        self.path = Path(corpus)
        self.registry = registry
        self.kinds = None
        self._records = jsonl_records(self.path)
        self.entities = ArticleEntities(registry)  # for a corpus stored before entities existed

    def __call__(self, items: list[tuple]) -> list[list[Attribution]]:
        out = []
        for item in items:
            try:
                where, record = next(self._records)
            except StopIteration:
                raise InputError(f"{self.path}: ended before its sentences did") from None
            if not isinstance(record, dict) or record.get("text") != item[1]:
                raise InputError(f"{where}: not the sentence expected here; was the corpus changed while read?")
            stored = record.get("attributions")
            if not isinstance(stored, list):
                raise InputError(f"{where}: no 'attributions' (write the corpus with `propa ingest --sources`)")
            try:
                found = [Attribution.from_dict(a) for a in stored]
            except (KeyError, TypeError, ValueError) as err:
                raise InputError(f"{where}: malformed attribution ({err})") from None
            out.append(self.entities(item[0], found, item[1]))
        return out


_NEWSROOM = re.compile(r"^(?:nos|notre)\s+(?:informations?|rédaction|journalistes?|équipes?|micros?|"
                       r"confrères|reporters?|envoyée?s?\s+spéciale?s?|correspondante?s?|sources)\b", re.IGNORECASE)


def mark_self_citation(attribution: Attribution, outlet: str, registry: Registry | None = None) -> Attribution:
    """Flag an attribution to the article's own outlet: its name (as the registry or plain
    normalisation matches it) or a newsroom's "nos informations", "notre rédaction"."""
    from annotate.sources.registry import normalise

    if attribution.mention is None or not outlet:
        return attribution
    mention = attribution.mention.text
    own = bool(_NEWSROOM.match(mention.replace("’", "'")))
    if not own:
        entry = registry.match(mention) if registry is not None else None
        if entry is not None:
            own = entry is registry.match(outlet)
        else:
            own = normalise(mention) == normalise(outlet)
    return dataclasses.replace(attribution, self_citation=True, refers_to=attribution.refers_to or outlet) \
        if own else attribution
