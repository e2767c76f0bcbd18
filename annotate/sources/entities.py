"""The sources of one article: the mentions that name the same speaker, grouped into one entity.

An article names its sources in several ways: "le ministère de l'Intérieur", then "le ministère",
then "il"; "l'Agence centrale de presse", then "l'ACP"; "la ministre, Sofia Reniak", then
"Reniak". Counting each form as a source of its own makes a one-sided article look balanced.
:class:`EntityGrouper` reads an article's mentions in order and gives each the id of its entity
("s1", "s2"... in order of appearance). Two mentions are one source when:

- the registry knows both as the same entry (its aliases);
- they are the same name (case, accents and articles aside);
- one is the acronym of the other ("ACP" and "Agence centrale de presse");
- they share a person's name ("Sofia Reniak", "Mme Reniak", "la ministre Sofia Reniak");
- one is a shortened form of the other with the same head noun ("le ministère" after "le ministère
  de l'Intérieur"): the most recent such source.

A pronoun takes the entity of what it refers to (resolved by the attribution rules). Anonymous and
vague mentions ("selon des sources") form no entity: they are nobody in particular. The kind of an
entity is decided once, for all its mentions: the registry's, else the kind most of its mentions
were given.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from annotate.sources.registry import normalise

ANONYMOUS = "anonymous_vague"
# Words that do not make a name: grammar, and titles before a person's name.
_FUNCTION_WORDS = frozenset("de du des d la le les l et aux au a en pour sur par chez un une".split())
_TITLES = frozenset("m mme mlle mm dr pr me monsieur madame docteur professeur maitre general generale "
                    "colonel commandant capitaine president presidente ministre depute deputee senateur "
                    "senatrice maire porte parole".split())
_WORD = re.compile(r"[\w'’-]+")
_ACRONYM = re.compile(r"^[A-ZÀ-Ý]{2,8}$")
# A name and the acronym it defines: "l'Agence sévrane d'information (ASI)".
_DEFINED = re.compile(r"([A-ZÀ-Ýa-zà-ÿ][\w'’ -]{2,80}?)\s*\(([A-ZÀ-Ý]{2,8})\)")
_LEADING_ARTICLE = re.compile(r"^(?:l['’]\s*|les\s+|la\s+|le\s+)", re.IGNORECASE)


def _bare(mention: str) -> str:
    """A mention without quotes, punctuation around it or a leading article ("l'ACP" -> "ACP")."""
    return _LEADING_ARTICLE.sub("", mention.strip(" .,;:«»\"'’").strip())


def _content_words(key: str) -> tuple[str, ...]:
    return tuple(w for w in key.split() if w not in _FUNCTION_WORDS)


def _person(text: str) -> tuple[str, ...]:
    """The longest run of at least two capitalised words that are not grammar or titles ("Sofia
    Reniak"), normalised; () when the mention holds no person's name."""
    best: list[str] = []
    run: list[str] = []
    for word in _WORD.findall(text):
        key = normalise(word)
        if word[:1].isupper() and not _ACRONYM.match(word) and key and key not in _FUNCTION_WORDS \
                and key not in _TITLES:
            run.append(key)
            if len(run) > len(best):
                best = list(run)
        else:
            run = []
    return tuple(best) if len(best) >= 2 else ()


def _acronym_of(key: str) -> str:
    """The initials of a name's content words ("agence centrale presse" -> "acp")."""
    return "".join(w[0] for w in _content_words(key) if w)


@dataclass
class SourceEntity:
    """One source of an article, and what its mentions say about it."""

    id: str
    name: str  # how the article names it most fully (the registry's name for a registered source)
    registry_id: str = ""
    registry_kind: str = ""
    reliability: str = "unknown"  # the registry's rating; never guessed
    mentions: list[str] = field(default_factory=list)  # each distinct form, in order
    kinds: Counter = field(default_factory=Counter)  # the kind each mention was given
    attributions: int = 0

    @property
    def kind(self) -> str:
        """The registry's kind, else the kind most of its mentions were given (the first seen on a tie)."""
        if self.registry_kind:
            return self.registry_kind
        return self.kinds.most_common(1)[0][0] if self.kinds else "other"

    @property
    def _key(self) -> str:
        return normalise(self.name)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind, "reliability": self.reliability,
                "registry_id": self.registry_id, "mentions": list(self.mentions), "attributions": self.attributions}


class EntityGrouper:
    """Groups an article's source mentions, in reading order, into entities (see the module)."""

    def __init__(self, registry=None) -> None:
        self.registry = registry
        self.entities: list[SourceEntity] = []
        self.acronyms: dict[str, SourceEntity] = {}  # defined in the article: "(ASI)" after a source's name
        self._forms: list[tuple[SourceEntity, str, tuple[str, ...], tuple[str, ...], str]] = []

    def assign(self, mention: str, kind: str) -> SourceEntity | None:
        """The entity ``mention`` (a name, or what a pronoun refers to) belongs to; None for an
        anonymous or vague source."""
        mention = mention.strip()
        if kind == ANONYMOUS or not mention:
            return None
        entity = self._find(mention)
        if entity is None:
            entity = self._new(mention)
        if mention not in entity.mentions:
            entity.mentions.append(mention)
        entity.kinds[kind] += 1
        entity.attributions += 1
        key = normalise(mention)
        if not entity.registry_id and len(_content_words(key)) > len(_content_words(entity._key)):
            entity.name = mention  # "le ministère" first, "le ministère de l'Intérieur" later
        self._forms.append((entity, key, _content_words(key), _person(mention), mention))
        return entity

    def learn_acronyms(self, text: str, placed: list[tuple[int, int, SourceEntity]]) -> None:
        """Acronyms a sentence defines for a source it names: "Selon l'agence de presse d'État
        sévrane, l'Agence sévrane d'information (ASI), ..." makes a later "l'ASI" the same source.
        ``placed``: (start, end, entity) of the sentence's mentions; the name defining the acronym
        must be one of them or follow one of them at once (an apposition)."""
        for match in _DEFINED.finditer(text):
            start, acronym = match.start(1), match.group(2)
            for mention_start, mention_end, entity in placed:
                if mention_start <= start < mention_end or 0 <= start - mention_end <= 4:
                    self.acronyms.setdefault(acronym.lower(), entity)
                    break

    def _new(self, mention: str) -> SourceEntity:
        entry = self.registry.match(mention) if self.registry is not None else None
        entity = SourceEntity(f"s{len(self.entities) + 1}", entry.name if entry else mention,
                              entry.id if entry else "", entry.kind if entry else "",
                              entry.reliability if entry else "unknown")
        self.entities.append(entity)
        return entity

    def _find(self, mention: str) -> SourceEntity | None:
        entry = self.registry.match(mention) if self.registry is not None else None
        if entry is not None:
            return next((e for e in self.entities if e.registry_id == entry.id), None)
        key = normalise(mention)
        words = _content_words(key)
        named = tuple(w for w in words if w not in _TITLES)  # "Mme Reniak" -> ("reniak",)
        person = _person(mention)
        bare = _bare(mention)
        if _ACRONYM.match(bare) and bare.lower() in self.acronyms:
            return self.acronyms[bare.lower()]
        for entity, form_key, form_words, form_person, form in reversed(self._forms):  # the most recent first
            if key == form_key:
                return entity
            if _ACRONYM.match(bare) and bare.lower() == _acronym_of(form_key) and len(form_words) >= 2:
                return entity
            form_bare = _bare(form)
            if _ACRONYM.match(form_bare) and form_bare.lower() == _acronym_of(key) and len(words) >= 2:
                return entity
            if person and form_person and (person == form_person or person[-1:] == form_person[-1:]):
                return entity
            if len(named) == 1 and form_person and named[0] == form_person[-1]:
                return entity  # "Reniak", "Mme Reniak" after "Sofia Reniak"
            form_named = tuple(w for w in form_words if w not in _TITLES)
            if len(form_named) == 1 and person and form_named[0] == person[-1]:
                return entity
            if words and form_words and words[0] == form_words[0] and not person and not form_person \
                    and (set(words) <= set(form_words) or set(form_words) <= set(words)):
                return entity  # "le ministère" and "le ministère de l'Intérieur"
        return None


def voices_of(counts) -> float:
    """The effective number of sources given each one's attributions: 1 / sum of squared shares
    (1: one source says everything; n equal sources: n; 0 when there is none)."""
    counts = [c for c in counts if c > 0]
    total = sum(counts)
    return round(1 / sum((c / total) ** 2 for c in counts), 2) if total else 0.0


def group_attributions(attributions, registry=None) -> tuple[list[SourceEntity], list[str]]:
    """Entities of an article's attributions given in reading order, and each attribution's entity id
    ("" for an anonymous or vague one). A pronoun counts for what it refers to. Attributions that
    already carry their entity (the attributor grouped them while reading, acronyms defined in the
    text included) keep it; the others are grouped here."""
    grouper = EntityGrouper(registry)
    given: dict[str, SourceEntity] = {}
    ids = []
    for attribution in attributions:
        name = attribution.refers_to or (attribution.mention.text if attribution.mention is not None else "")
        if getattr(attribution, "entity", ""):
            entity = given.get(attribution.entity)
            if entity is None:
                entity = given[attribution.entity] = grouper._new(attribution.entity_name or name)
            if name and name not in entity.mentions:
                entity.mentions.append(name)
            entity.kinds[attribution.kind] += 1
            entity.attributions += 1
        else:
            entity = grouper.assign(name, attribution.kind)
        ids.append(entity.id if entity is not None else "")
    return grouper.entities, ids
