"""The attributions of a sentence: every rule of :data:`RULES` in turn, what no earlier rule
found kept, then what the rules share: each kind settled (registry, possessive, learned model,
a name described earlier), the attributed content, a quote continued from the sentence before.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from annotate.sources.attribution.mention_kind import described_as_state_media, kind_of
from annotate.sources.attribution.record import Attribution
from annotate.sources.attribution.rules import RULES, ParsedSentence, as_speaker
from annotate.sources.attribution.spans import QUOTE, attributed_content, with_apposition
from annotate.sources.attribution.state import ArticleState, Named
from annotate.sources.attribution.syntax import french_pipeline
from annotate.sources.attribution.word_lists import words
from annotate.text.segment import Span

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from annotate.sources.kinds import KindModel
    from annotate.sources.registry import Registry


def extract(text: str, registry: Registry | None = None, nlp=None, state: ArticleState | None = None,
            kinds: KindModel | None = None) -> list[Attribution]:
    """The attributions of one sentence, in order of appearance.

    ``state`` carries what the article's earlier sentences said (the last named source, for
    pronouns); pass the same :class:`ArticleState` for each sentence of an article, or None for
    a sentence alone. ``kinds`` (:class:`annotate.sources.kinds.KindModel`) gives the kind of a
    named mention that the registry does not know; without it the kind comes from the rules alone.
    """
    nlp = nlp or french_pipeline()
    return extract_parsed(text, nlp(text.replace("’", "'")), registry, state, kinds)


def extract_parsed(text: str, doc: Doc, registry: Registry | None = None, state: ArticleState | None = None,
                   kinds: KindModel | None = None, tagged: Sequence[tuple[int, int]] = ()) -> list[Attribution]:
    """:func:`extract` on a sentence already parsed (``doc`` of the text with ' for ’).

    ``tagged``: source spans a tagger found in the sentence (``train.models.span_tagger``), added
    after the rules, each where no rule found a mention or a cue, with ``rule="tagger"``."""
    sentence = ParsedSentence(text, doc, registry, state)
    owner_before = state.last_named.kind if state is not None and state.last_named is not None else None
    found: list[Attribution] = []
    for rule in RULES:
        for attribution in rule(sentence):
            speaker = as_speaker(sentence, attribution)
            if speaker is not None:
                _keep(found, speaker, text, registry)
        if sentence.is_source_line:
            return found  # "Source : X, Y" lists sources, nothing else: no other rule, nothing to settle
    if tagged:
        _add_tagged(sentence, found, tagged)
    _settle_kinds(found, state, registry, kinds, owner_before)
    found.sort(key=lambda a: (a.mention or a.cue).start)
    found = [dataclasses.replace(a, content=attributed_content(text, a)) if a.content is None else a for a in found]
    return _quote_continued(text, found, state)


def extract_article(sentences: Iterable[str], registry: Registry | None = None,
                    kinds: KindModel | None = None) -> Iterator[list[Attribution]]:
    """Attributions sentence by sentence, pronouns resolved to the article's last named source."""
    nlp = french_pipeline()
    state = ArticleState()
    for text in sentences:
        yield extract(text, registry, nlp, state, kinds)


def _add_tagged(sentence: ParsedSentence, found: list[Attribution], tagged: Sequence[tuple[int, int]]) -> None:
    """The tagger's spans that no rule found, in place; not one inside a quote or inside what a
    source found by the rules says (who is spoken of there is not who speaks). The rules'
    attributions get their content here, once."""
    text = sentence.text
    said = [(q.start(), q.end()) for q in QUOTE.finditer(text)]
    found[:] = [dataclasses.replace(a, content=attributed_content(text, a)) if a.content is None else a for a in found]
    said += [(a.content.start, a.content.end) for a in found if a.content is not None]
    for start, end in tagged:
        if not any(s <= start and end <= e for s, e in said):
            _keep(found, _tagged(sentence, start, end), text, sentence.registry)


def _tagged(sentence: ParsedSentence, start: int, end: int) -> Attribution:
    """A tagger's span as an attribution with no cue: a pronoun refers to the article's last named
    source, any other mention takes its kind from the rules' word lists (settled afterwards)."""
    mention = Span(start, end, sentence.text[start:end])
    if mention.text.lower() in words().pronouns:
        kind, refers = sentence.resolve(mention.text)
        return Attribution(mention, None, kind, "tagger", refers_to=refers)
    return Attribution(mention, None, sentence.kind_of(mention.text), "tagger")


def _keep(found: list[Attribution], attribution: Attribution, text: str, registry: Registry | None) -> None:
    """Add ``attribution`` to ``found`` unless its mention or cue overlaps what an earlier rule
    found (coordinated sources may share their cue); a bare name takes its description along."""
    if attribution.mention is not None and attribution.rule in ("subject", "opinion", "inverted"):
        mention = with_apposition(text, attribution.mention)
        if mention is not attribution.mention:
            attribution = dataclasses.replace(attribution, mention=mention, kind=kind_of(mention.text, registry))
    spans = [p for p in (attribution.mention, attribution.cue) if p is not None]
    taken = [(p.start, p.end) for a in found for p in (a.mention, a.cue) if p is not None]
    shared = {(a.cue.start, a.cue.end) for a in found if a.cue is not None and attribution.cue is not None
              and a.rule == attribution.rule and a.cue.start < attribution.cue.end
              and attribution.cue.start < a.cue.end}
    if any(s.start < e and b < s.end and not (s is attribution.cue and (b, e) in shared)
           for s in spans for b, e in taken):
        return
    found.append(attribution)


def _settle_kinds(found: list[Attribution], state: ArticleState | None, registry: Registry | None,
                  kinds: KindModel | None, owner_before: str | None) -> None:
    """Where each kind comes from, in place: a pronoun from what it refers to, a registered source
    from the registry, a possessive ("son président") from what it belongs to, else the learned
    model; a name described earlier in the article keeps that description's kind. Each named
    source is then the article's last, for the pronouns after it."""
    pronouns = words().pronouns
    names = state.names if state is not None else {}
    for i, attribution in enumerate(found):
        mention = attribution.mention
        if mention is not None and _SAME.match(mention.text) and state is not None and state.last_named is not None:
            # "la même source": the article's last named source, as a pronoun would
            found[i] = dataclasses.replace(attribution, kind=state.last_named.kind, refers_to=state.last_named.text,
                                           kind_by="pronoun")
            continue
        if mention is None or mention.text.lower() in pronouns:
            if attribution.refers_to:
                found[i] = dataclasses.replace(attribution, kind_by="pronoun")
            continue
        owner = _owner(found, i, owner_before)
        if registry is not None and registry.match(mention.text) is not None:
            attribution = found[i] = dataclasses.replace(attribution, kind_by="registry")
        elif owner is not None and attribution.kind != "anonymous_vague":
            # "son président, Tomas Reller": the kind of the body it belongs to
            attribution = found[i] = dataclasses.replace(attribution, kind=owner, kind_by="article")
        elif kinds is not None and attribution.rule != "agentless" and not described_as_state_media(mention.text):
            kind = kinds.predict(mention.text, attribution.kind)
            attribution = found[i] = dataclasses.replace(attribution, kind=kind, kind_by="model")
        known = names.get(_name_key(mention.text))
        if known and attribution.kind == "other" and attribution.kind_by != "registry":
            # "Sofia Reniak" after "la ministre, Sofia Reniak"
            attribution = found[i] = dataclasses.replace(attribution, kind=known, kind_by="article")
        _learn_names(mention.text, attribution.kind, names)
        if state is not None:
            state.remember(mention.text, attribution.kind)


_SAME = re.compile(r"^(?:la|le|les)\s+mêmes?\s+(?:source|sources|chaîne|agence|journal|quotidien|site|média|"
                   r"compte|responsable|porte-parole|interlocuteur|interlocutrice)$", re.IGNORECASE)
_POSSESSIVE = re.compile(r"^(?:son|sa|ses|leur|leurs)\s", re.IGNORECASE)


def _owner(found: list[Attribution], i: int, owner_before: str | None) -> str | None:
    """The kind of what a possessive mention belongs to ("son président", "sa porte-parole"):
    the named source just before it in the sentence, else the article's last named source
    before the sentence."""
    mention = found[i].mention
    if mention is None or not _POSSESSIVE.match(mention.text):
        return None
    pronouns = words().pronouns
    earlier = [a for a in found if a.mention is not None and a.mention.end <= mention.start
               and not _POSSESSIVE.match(a.mention.text) and a.kind != "anonymous_vague"
               and a.mention.text.lower() not in pronouns]
    if earlier:
        return max(earlier, key=lambda a: a.mention.start).kind
    return owner_before


_NAME = re.compile(r"(?<![\w'])(?:[A-ZÀ-Ý][\w'-]+)(?:\s+(?:[A-ZÀ-Ý][\w'-]+))+")


def _name_key(mention: str) -> str:
    return " ".join(mention.split()).lower()


def _learn_names(mention: str, kind: str, names: dict[str, str]) -> None:
    """Remember the kind of a person named with a description ("la ministre de l'Énergie,
    Sofia Reniak" -> official) so that a later bare "Sofia Reniak" or "Reniak" gets it too."""
    if kind in ("other", "anonymous_vague"):
        return
    lead = words().name_lead_words
    for match in _NAME.finditer(mention):
        name = match.group(0).split()
        if name[0].lower() in lead:
            name = name[1:]
        if len(name) < 2 or " ".join(name) == mention.strip():
            continue  # no description: nothing learnt
        names.setdefault(_name_key(" ".join(name)), kind)
        names.setdefault(_name_key(name[-1]), kind)


_WHOLE_QUOTE = re.compile(r"^\s*(«[^»]*»|“[^”]*”)\s*[.!?…]?\s*$")


def _quote_continued(text: str, found: list[Attribution], state: ArticleState | None) -> list[Attribution]:
    """A sentence that is only a quote continues the quote of the sentence before ("«...»,
    a déclaré X." then "« ... »"), or follows "X a déclaré :": it is attributed to that
    speaker, with no mention or cue of its own."""
    if state is None:
        return found
    speaker, state.quote_speaker = state.quote_speaker, None
    quote = _WHOLE_QUOTE.match(text)
    if not found and quote is not None and speaker is not None:
        content = Span(quote.start(1), quote.end(1), quote.group(1))
        found = [Attribution(None, None, speaker.kind, "quote-continued", content=content,
                             refers_to=speaker.text, kind_by="speaker")]
        state.quote_speaker = speaker
        return found
    pronouns = words().pronouns
    for a in reversed(found):
        said = a.content is not None and a.content.text[:1] in ("«", "“") or text.rstrip().endswith(":")
        if said and a.kind != "anonymous_vague" or said and a.mention is not None:
            name = a.refers_to if a.mention is None or a.mention.text.lower() in pronouns else a.mention.text
            if name:
                state.quote_speaker = Named(name, a.kind)
            break
    return found
