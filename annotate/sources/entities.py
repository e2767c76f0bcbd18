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
  de l'Intérieur"): the most recent such source; a bare title ("le ministre") is the most recent
  person who bore it ("le ministre de l'Intérieur, Dragan Volesk");
- one holds the office the other names: a minister speaks for the ministry ("le ministre de
  l'Intérieur" and "le ministère de l'Intérieur"), a president for the presidency, a spokesperson for
  what they speak for ("le porte-parole de la présidence" and "la présidence");
- the article gives a person's office in an apposition, even in a sentence that attributes nothing
  ("Le ministre de l'Intérieur, Dragan Volesk, a promis une riposte."): a later "Volesk" is the
  source the office names (:meth:`EntityGrouper.learn_titles`);
- both describe an outlet of the same medium by who runs it, without naming it ("la télévision
  d'État" and "la chaîne publique"), unless they name different countries.

A pronoun takes the entity of what it refers to (resolved by the attribution rules). Anonymous and
vague mentions ("selon des sources") form no entity: they are nobody in particular. The kind of an
entity is decided once, for all its mentions (:attr:`SourceEntity.kind`): the registry's; else
state-affiliated media if a mention called so says who runs it ("d'État", "officielle", "publique");
else the kind most of its mentions were given, "other" (no cue: an acronym, a surname) counting
only when nothing else was said.

A source's country (:func:`countries_of`: the registry's, else a country the registry knows named in
its mentions, "korvan" for Korvanie) tells the profile which officials a state outlet speaks for.
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
# An office-holder speaks for the office: the minister for the ministry, the president for the presidency.
_OFFICES = {"ministre": "ministere", "president": "presidence", "presidente": "presidence"}
_SPOKESPERSON = ("porte", "parole")  # "le porte-parole de la présidence" speaks for the presidency
# An outlet described rather than named ("la chaîne publique", "la télévision d'État", "l'agence
# officielle sévrane"): a medium and words that say who runs it; a later or earlier description of
# the same medium is the same outlet ("la télévision d'État"... "selon la chaîne publique").
_MEDIA = {"television": "tv", "tele": "tv", "chaine": "tv", "tv": "tv", "antenne": "tv", "radio": "radio",
          "station": "radio", "agence": "agency"}
_RUN_BY = frozenset("publique public officielle officiel etat nationale national gouvernementale".split())
# An office and the person holding it, in apposition: "le ministre de l'Intérieur, Dragan Volesk,".
_TITLED = re.compile(r"\b((?:[Ll]e|[Ll]a|[Ll]['’])\s*[a-zà-ÿ][^,;:.!?«»()\"]{2,80}?),\s+"
                     r"([A-ZÀ-Ý][\w'’-]+(?:\s+[A-ZÀ-Ý][\w'’-]+)+)\s*(?=[,;.)]|$)")
_NOT_APPOSITION = re.compile(r"(?:selon|d['’]après)\s*$", re.IGNORECASE)  # "Selon la ministre, X, ..."


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


def _office(words: tuple[str, ...], person: tuple[str, ...]) -> tuple[str, ...]:
    """The institution an office-holder's mention speaks for, as content words ("ministre interieur
    dragan volesk" -> ("ministere", "interieur"); "porte parole presidence" -> ("presidence",)); ()
    when the mention names no office. A minister or president needs the office's domain: "le
    ministre" alone names no ministry."""
    words = tuple(w for w in words if w not in person)
    if words[:2] == _SPOKESPERSON:
        return words[2:]
    if len(words) >= 2 and words[0] in _OFFICES:
        return (_OFFICES[words[0]], *words[1:])
    return ()


def _same_person(mention: str, person: tuple[str, ...]) -> bool:
    """Whether ``mention`` names ``person`` (a normalised full name): the name, or its last word alone."""
    own = _person(mention)
    named = tuple(w for w in _content_words(normalise(mention)) if w not in _TITLES)
    return bool(person) and (own[-1:] == person[-1:] if own else named == person[-1:])


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
    country: str = ""  # the registry's, normalised ("korvanie"); see countries_of
    mentions: list[str] = field(default_factory=list)  # each distinct form, in order
    kinds: Counter = field(default_factory=Counter)  # the kind each mention was given
    attributions: int = 0
    state_run: bool = False  # a mention called state media says who runs it ("l'agence de presse d'État")

    @property
    def kind(self) -> str:
        """The registry's kind; else state-affiliated media when a mention called so says who runs the
        outlet (an article that says it once has said it: "l'agence de presse d'État", then
        "l'agence", "l'ATK"); else the kind most of its mentions were given, "other" counting only
        when none was given another (an acronym or a surname alone says nothing of what a source is);
        the first seen on a tie."""
        if self.registry_kind:
            return self.registry_kind
        if self.state_run:
            return "state_media"
        told = Counter({kind: n for kind, n in self.kinds.items() if kind != "other"}) or self.kinds
        return told.most_common(1)[0][0] if told else "other"

    def note(self, mention: str, kind: str) -> None:
        """Count one attribution to this source, by ``mention`` given ``kind``."""
        self.kinds[kind] += 1
        self.attributions += 1
        self.state_run = self.state_run or kind == "state_media" and bool(_RUN_BY & set(normalise(mention).split()))

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
        self.titles: dict[tuple[str, ...], str] = {}  # a person's office, from an apposition: ("dragan", "volesk")
        self.countries = known_countries(registry)
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
        entity.note(mention, kind)
        key = normalise(mention)
        if not entity.registry_id and len(_content_words(key)) > len(_content_words(entity._key)):
            entity.name = mention  # "le ministère" first, "le ministère de l'Intérieur" later
        self.remember(entity, mention)
        return entity

    def remember(self, entity: SourceEntity, mention: str) -> None:
        """Record ``mention`` as a form of ``entity``, for the mentions that follow."""
        key = normalise(mention)
        self._forms.append((entity, key, _content_words(key), _person(mention), mention))

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
        self.learn_titles(text)

    def learn_titles(self, text: str) -> None:
        """Offices a sentence gives people in apposition: "Le ministre de l'Intérieur, Dragan Volesk, a
        promis une riposte." makes a later "Volesk" the source "le ministre de l'Intérieur" names (the
        ministry's, when the article cites it). Learnt from any sentence, attributing or not; an
        office after "selon", "d'après"... is a source saying something of the person, not the person's."""
        for match in _TITLED.finditer(text):
            if _NOT_APPOSITION.search(text[:match.start()]):
                continue
            person, office = _person(match.group(2)), normalise(match.group(1)).split()
            if person and office and office[0] in _TITLES:  # an office-holder: "le ministre", "la porte-parole"
                self.titles.setdefault(person, match.group(1))

    def merge_titled(self) -> dict[str, SourceEntity]:
        """Fold each person whose office an apposition gave (:meth:`learn_titles`) into the source that
        office names, when the article cites both apart ("Volesk" and "le ministère de l'Intérieur");
        returns {the folded entity's id: the entity it joined}."""
        folded: dict[str, SourceEntity] = {}
        for person, office in self.titles.items():
            target = self._find(office, titles=False)
            if target is None:
                continue
            for entity in list(self.entities):
                if entity is not target and not entity.registry_id \
                        and any(_same_person(mention, person) for mention in entity.mentions):
                    self._fold(entity, target)
                    folded[entity.id] = target
        for old, target in list(folded.items()):
            while target.id in folded:  # folded in turn
                target = folded[target.id]
            folded[old] = target
        return folded

    def _fold(self, entity: SourceEntity, target: SourceEntity) -> None:
        target.mentions.extend(m for m in entity.mentions if m not in target.mentions)
        target.kinds.update(entity.kinds)
        target.attributions += entity.attributions
        target.state_run = target.state_run or entity.state_run
        self._forms = [(target if e is entity else e, *rest) for e, *rest in self._forms]
        self.acronyms = {k: (target if e is entity else e) for k, e in self.acronyms.items()}
        self.entities.remove(entity)

    def _new(self, mention: str) -> SourceEntity:
        entry = self.registry.match(mention) if self.registry is not None else None
        entity = SourceEntity(f"s{len(self.entities) + 1}", entry.name if entry else mention,
                              entry.id if entry else "", entry.kind if entry else "",
                              entry.reliability if entry else "unknown",
                              _country_key(entry.country) if entry and entry.country else "")
        self.entities.append(entity)
        return entity

    def _described_medium(self, words: tuple[str, ...]) -> str:
        """The medium ("tv", "radio", "agency") of an outlet described by what runs it, not named
        ("chaine publique", "television etat", "agence officielle sevrane"); "" otherwise."""
        if len(words) < 2 or words[0] not in _MEDIA:
            return ""
        if all(w in _RUN_BY or any(_names_country(w, c) for c in self.countries) for w in words[1:]):
            return _MEDIA[words[0]]
        return ""

    def _same_country(self, key: str, other: str) -> bool:
        """False when both name a country (of the registry's) and not the same one."""
        named = [{c for c in self.countries for w in text.split() if len(w) >= 4 and _names_country(w, c)}
                 for text in (key, other)]
        return not (named[0] and named[1] and not named[0] & named[1])

    def _find(self, mention: str, titles: bool = True) -> SourceEntity | None:
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
        if titles:
            for titled, office in self.titles.items():
                if _same_person(mention, titled) and (found := self._find(office, titles=False)) is not None:
                    return found  # "Volesk" after "le ministre de l'Intérieur, Dragan Volesk," as the office's
        office = _office(words, person)
        institution = office or (words if not person else ())
        medium = self._described_medium(words) if not person else ""
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
            if words and words[0] in _TITLES and not person and form_person and form_words[:1] == words[:1] \
                    and set(words) <= set(form_words) - set(form_person):
                return entity  # "le ministre" after "le ministre de l'Intérieur, Dragan Volesk"
            if medium and not form_person and self._described_medium(form_words) == medium \
                    and self._same_country(key, form_key):
                return entity  # "la chaîne publique" and "la télévision d'État"
            form_office = _office(form_words, form_person)
            form_institution = form_office or (form_words if not form_person else ())
            if (office or form_office) and institution and form_institution \
                    and institution[0] == form_institution[0] \
                    and (set(institution) <= set(form_institution) or set(form_institution) <= set(institution)):
                return entity  # "le ministre de l'Intérieur" speaks for "le ministère de l'Intérieur"
        return None


def voices_of(counts) -> float:
    """The effective number of sources given each one's attributions: 1 / sum of squared shares
    (1: one source says everything; n equal sources: n; 0 when there is none)."""
    counts = [c for c in counts if c > 0]
    total = sum(counts)
    return round(1 / sum((c / total) ** 2 for c in counts), 2) if total else 0.0


def group_attributions(attributions, registry=None, texts=()) -> tuple[list[SourceEntity], list[str]]:
    """Entities of an article's attributions given in reading order, and each attribution's entity id
    ("" for an anonymous or vague one). A pronoun counts for what it refers to. Attributions that
    already carry their entity (the attributor grouped them while reading, acronyms defined in the
    text included) keep it; the others are grouped here. ``texts``: the article's sentences, whose
    appositions fold a person into the source their office names (:meth:`EntityGrouper.learn_titles`),
    the sentences that attribute nothing included."""
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
            if name:
                grouper.remember(entity, name)
            entity.note(name, attribution.kind)
        else:
            entity = grouper.assign(name, attribution.kind)
        ids.append(entity.id if entity is not None else "")
    for text in texts:
        grouper.learn_titles(text)
    folded = grouper.merge_titled() if grouper.titles else {}
    if folded:
        ids = [folded[i].id if i in folded else i for i in ids]
        renumbered = {entity.id: f"s{n}" for n, entity in enumerate(grouper.entities, 1)}
        for entity in grouper.entities:
            entity.id = renumbered[entity.id]
        ids = [renumbered.get(i, "") for i in ids]
    return grouper.entities, ids


def known_countries(registry) -> tuple[str, ...]:
    """The countries the registry's entries are based in, normalised ("korvanie", "france")."""
    if registry is None:
        return ()
    return tuple(sorted({_country_key(entry.country) for entry in registry.entries if entry.country} - {""}))


def _country_key(country: str) -> str:
    return normalise(re.sub(r"\(.*?\)", "", country))


def _names_country(word: str, country: str) -> bool:
    """Whether a normalised word is a country's name or adjective: "korvan", "korvane" for Korvanie,
    "valdorien" for Valdoria, "russe" for Russie (a shared beginning of 5 letters, or of all the name
    but its ending)."""
    first = country.split()[0]
    shared = 0
    for a, b in zip(word, first):
        if a != b:
            break
        shared += 1
    return shared >= 4 and (shared >= 5 or shared >= len(first) - 2)


def countries_of(entity: SourceEntity, countries=()) -> frozenset[str]:
    """The countries a source belongs to: the registry's, else those of ``countries``
    (:func:`known_countries`) its mentions name ("le ministère korvan de la Défense"); empty when
    it names none."""
    if entity.country:
        return frozenset({entity.country})
    words = {w for mention in entity.mentions for w in normalise(mention).split() if len(w) >= 4}
    return frozenset(c for c in countries if any(_names_country(w, c) for w in words))
