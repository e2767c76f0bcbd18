"""The attribution rules: small named functions, each reading a parsed sentence and yielding
the attributions it finds, run in the order of :data:`RULES` (annotate.sources.attribution.extraction
keeps what no earlier rule found, then settles kinds and contents).

Every rule has the one signature :data:`Rule`; it may be run alone on a
:class:`ParsedSentence` (``list(preposition(sentence))``), which is how tests and
bench/sources.py look at one rule. A rule that finds a named source remembers it in the
article's state, so that a later pronoun, in this sentence or the next, refers to it.
"""

from __future__ import annotations

import re
import dataclasses
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterator

from annotate.sources.attribution.mention_kind import kind_of
from annotate.sources.attribution.phrases import (inverted_subject_start, noun_phrase_after, source_like,
                                                  subject_span)
from annotate.sources.attribution.record import Attribution
from annotate.sources.attribution.spans import coordinated, text_span
from annotate.sources.attribution.state import ArticleState
from annotate.sources.attribution.syntax import (agent_verb, content_before, governor, has_content, locution,
                                                 long_clause_before, mistagged_verb, negated, next_word,
                                                 reporting_lemma, verb_group)
from annotate.sources.attribution.word_lists import words
from annotate.text.segment import Span

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    from annotate.sources.registry import Registry

_SOURCE_LINE = re.compile(r"^(Sources?\s*:)\s*(.+?)\s*\.?$")


@dataclass(frozen=True)
class ParsedSentence:
    """One sentence as every rule reads it."""

    text: str  # as written: every span the rules give is an offset into it
    doc: Doc  # spaCy's parse of the text with ' for ’ (the same length, so the same offsets)
    registry: Registry | None = None  # known sources: their kind, and what can speak
    # The article so far (what a pronoun refers to); None: the sentence alone, with no pronoun
    # resolved and nothing remembered.
    state: ArticleState | None = None

    @property
    def parsed(self) -> str:
        return self.doc.text

    @cached_property
    def is_source_line(self) -> bool:
        """"Source : X, Y": a line that lists sources and says nothing else."""
        return _SOURCE_LINE.match(self.parsed) is not None

    def kind_of(self, mention: str) -> str:
        return kind_of(mention, self.registry)

    def remember(self, mention: str, kind: str) -> None:
        """``mention`` is the article's last named source, for the pronouns after it."""
        if self.state is not None:
            self.state.remember(mention, kind)

    def resolve(self, pronoun: str) -> tuple[str, str]:
        """(kind, what it refers to) of a subject pronoun."""
        return self.state.resolve(pronoun) if self.state is not None else ("anonymous_vague", "")


Rule = Callable[[ParsedSentence], Iterator[Attribution]]


def source_line(sentence: ParsedSentence) -> Iterator[Attribution]:
    """"Source : ministère de la Défense, sources militaires": one attribution per item."""
    line = _SOURCE_LINE.match(sentence.parsed)
    if line is None:
        return
    text, parsed = sentence.text, sentence.parsed
    cue = Span(line.start(1), line.end(1), text[line.start(1):line.end(1)])
    start = line.start(2)
    for piece in re.split(r"(,\s*|\s+et\s+|\s*;\s*)", parsed[line.start(2):line.end(2)]):
        end = start + len(piece)
        if not re.fullmatch(r",\s*|\s+et\s+|\s*;\s*", piece):
            mention = text_span(text, start, end)
            if mention is not None:
                yield Attribution(mention, cue, sentence.kind_of(mention.text), "source-line")
        start = end


_AGENTLESS = re.compile(r"(?<!\w)(il est rapporté que|il se dit que|il se murmure que|on dit que|on raconte que|"
                        r"il paraît que|il semblerait que|a-t-on appris|apprend-on)(?!\w)", re.IGNORECASE)


def agentless(sentence: ParsedSentence) -> Iterator[Attribution]:
    """"il se dit que", "on dit que", "a-t-on appris": said by no one in particular; the
    mention is the "on" when there is one."""
    text, parsed = sentence.text, sentence.parsed
    for match in _AGENTLESS.finditer(parsed):
        cue = Span(match.start(), match.end(), text[match.start():match.end()])
        mention = None
        pronoun = re.search(r"(?<!\w)on(?!\w)", match.group(1), re.IGNORECASE)  # "a-t-on", "on dit", "apprend-on"
        if pronoun is not None:
            at = match.start() + pronoun.start()
            mention = Span(at, at + 2, text[at:at + 2])
        yield Attribution(mention, cue, "anonymous_vague", "agentless")


# "selon les données publiées jeudi par X": the publisher is part of the source.
_PUBLISHED_BY = re.compile(r"\s*(?:publiée?s?|diffusée?s?|réalisée?s?|communiquée?s?|rendue?s? publique?s?|établie?s?|"
                           r"compilée?s?|transmise?s?|fournie?s?|menée?s?|commandée?s?)(?:\s+[^\s,.;:«»]+){0,4}?\s+par\s+",
                           re.IGNORECASE)
# What follows "selon" without being a source: "selon laquelle", "selon les secteurs".
_NOT_AFTER_CUE = re.compile(r"^(?:lequel|laquelle|lesquels|lesquelles|les? (?:secteurs?|cas|régions?|pays|années?|"
                            r"âges?|périodes?|modèles?|saisons?|besoins?|circonstances|scénarios?|hypothèses?|"
                            r"moments?|jours?|heures?)|l'(?:âge|heure|année|endroit))\b", re.IGNORECASE)


def preposition(sentence: ParsedSentence) -> Iterator[Attribution]:
    """"selon X", "d'après X", "de l'avis de X", "cité par X", "de source sûre": the noun phrase
    after the cue (with its publisher: "selon les chiffres publiés jeudi par X")."""
    text, parsed, doc = sentence.text, sentence.parsed, sentence.doc
    for match in words().preposition_pattern.finditer(parsed):
        after = next((t.i for t in doc if t.idx >= match.end() and t.text not in ("«", '"')), None)
        span = noun_phrase_after(doc, after) if after is not None else None
        if span is not None:
            published = _PUBLISHED_BY.match(parsed, span[1])
            by = next((t.i for t in doc if published and t.idx >= published.end()), None)
            agent = noun_phrase_after(doc, by) if by is not None else None
            if agent is not None:
                span = (span[0], agent[1])  # "selon les chiffres publiés jeudi par l'Office de la statistique"
        mention = text_span(text, *span) if span else None
        if mention is None or _NOT_AFTER_CUE.match(mention.text):
            continue
        if match.group(1).lower().startswith("de source"):  # "de source sûre": the source is "source sûre"
            at = match.start(1) + 3
            mention = Span(at, mention.end, text[at:mention.end])
        cue = Span(match.start(1), match.end(1), text[match.start(1):match.end(1)])
        if mention.text.lower() in words().pronouns:  # "selon lui": the article's last named source
            kind, refers = sentence.resolve(mention.text)
            yield Attribution(mention, cue, kind, "preposition", refers_to=refers)
            continue
        yield Attribution(mention, cue, sentence.kind_of(mention.text), "preposition")


_OPINION = re.compile(r"^(Pour|Aux yeux de|Aux yeux d'|De l'avis de|De l'avis d')\s*", re.IGNORECASE)


def opinion(sentence: ParsedSentence) -> Iterator[Attribution]:
    """"Pour X, ...", "Aux yeux de X, ..." opening the sentence: X holds the opinion that follows
    (not "Pour l'instant, ...")."""
    text, parsed, doc = sentence.text, sentence.parsed, sentence.doc
    opening = _OPINION.match(parsed)
    first = next((t for t in doc if t.idx >= opening.end()), None) if opening else None
    if first is None or not (first.pos_ == "PROPN" or first.pos_ == "DET" and first.i + 1 < len(doc)
                             and doc[first.i + 1].pos_ in ("NOUN", "PROPN")):
        return
    comma = parsed.find(",", opening.end())
    if comma <= 0:
        return
    end = comma
    following = parsed.find(",", comma + 1)
    segment = doc.char_span(comma + 1, following, alignment_mode="expand") if following > 0 else None
    if segment is not None and not any(t.pos_ in ("VERB", "AUX") for t in segment) and \
            segment.text.strip()[:1].islower():
        end = following  # "Pour Nadia Ferhat, sociologue à l'université de Belmara, ..."
    mention = text_span(text, opening.end(), end)
    if mention is not None and mention.text.lower() not in words().not_sources:
        cue = Span(opening.start(1), opening.end(1), text[opening.start(1):opening.end(1)])
        kind = sentence.kind_of(mention.text)
        sentence.remember(mention.text, kind)
        yield Attribution(mention, cue, kind, "opinion")


def agent(sentence: ParsedSentence) -> Iterator[Attribution]:
    """The agent of a participle of publishing or saying: "publiée par X", "relayée par X",
    "diffusée dès le 3 mai par X, puis par Y"."""
    text, doc = sentence.text, sentence.doc
    for token in doc:
        if token.lower_ != "par" or token.i == 0:
            continue
        if token.i + 1 >= len(doc) or not (doc[token.i + 1].pos_ in ("DET", "PROPN") or
                                           doc[token.i + 1].text[:1].isupper()):
            continue  # "par ailleurs", "par an", "par exemple": no agent
        verb_token = agent_verb(doc, token.i)
        if verb_token is None:
            continue
        span = noun_phrase_after(doc, token.i + 1)
        mention = text_span(text, *span) if span else None
        if mention is not None:
            adjacent = verb_token.i == token.i - 1
            cue_end = token.idx + len(token.text) if adjacent else verb_token.idx + len(verb_token.text)
            cue = Span(verb_token.idx, cue_end, text[verb_token.idx:cue_end])
            kind = sentence.kind_of(mention.text)
            sentence.remember(mention.text, kind)
            yield Attribution(mention, cue, kind, "agent")


def reporting_verb(sentence: ParsedSentence) -> Iterator[Attribution]:
    """A reporting verb (or locution, or reflexive verb) and its subject: a pronoun glued after it
    ("a-t-il ajouté"), the subject after it when inverted (", a rapporté le quotidien X",
    "« ... », affirme le ministère"), else the subject before it ("le ministère a indiqué que");
    two subjects joined by "et" are two attributions."""
    for token in sentence.doc:
        said = _reporting_verb_at(sentence, token)
        if said is None:
            continue
        clitic = _clitic_subject(sentence, said)
        if clitic is not None:
            yield clitic
            continue
        inverted = _inverted_subject(sentence, said)
        if inverted is not None:
            sentence.remember(inverted.mention.text, inverted.kind)
            yield inverted
            continue
        yield from _subject_before(sentence, said)


@dataclass(frozen=True)
class _Said:
    """A reporting verb that reports something, its subject still to be found."""

    token: Token  # the verb, or the first word of a locution
    verb: str  # what it is a form of: "déclarer", "faire_état"
    head: Token  # the verb whose subject is the source: the token, or the verb governing its infinitive
    group: int  # where the head's verb group starts
    reflexive: bool  # "s'inquiètent", "s'est félicitée"
    cue: Span  # the verb, or the whole locution
    cue_end: int  # the index of the cue's last token


def _reporting_verb_at(sentence: ParsedSentence, token: Token) -> _Said | None:
    """``token`` as a reporting verb that reports: not a noun ("l'annonce"), a participle used as
    an adjective ("47 cas confirmés"), a passive ("aucun décès n'a été signalé"), negated silence
    ("n'a pas commenté") or "rapporter" money."""
    doc, lists = sentence.doc, words()
    if token.is_punct or token.pos_ in ("PRON", "ADP", "CCONJ", "SCONJ", "NUM", "PROPN"):
        return None
    verb, cue_end = reporting_lemma(token.text, token.lemma_), token.i
    if verb is None:
        verb, cue_end = locution(doc, token)
    reflexive = token.i > 0 and doc[token.i - 1].lower_ in ("se", "s'") or token.i > 1 and \
        doc[token.i - 2].lower_ in ("se", "s'") and doc[token.i - 1].pos_ == "AUX"  # "s'est félicitée"
    if verb is None and reflexive and token.lemma_.lower() in lists.reflexive_verbs:
        verb = token.lemma_.lower()  # "des médecins s'inquiètent"
    if verb is None:
        return None
    group, has_aux, passive = verb_group(doc, token.i)
    has_aux = has_aux or any(c.dep_.startswith("aux") for c in token.children) or token.dep_ == "conj" and \
        token.head.i < token.i and any(c.dep_.startswith("aux") for c in token.head.children)  # "a X et rappelé"
    if token.pos_ not in ("VERB", "AUX") and not has_aux and not reflexive and not mistagged_verb(doc, token):
        return None  # a noun ("l'annonce"), unless a verb the tagger took for one ("X accuse", "X dément")
    form = token.morph.get("VerbForm")
    head = token
    if "Inf" in form:
        head = governor(doc, token)
        if head is None:
            return None  # "est à déplorer": no one is reporting; "se borne à affirmer" has a governor
        group, has_aux, passive = verb_group(doc, head.i)
    elif "Part" in form and not has_aux and "Pres" not in token.morph.get("Tense") and \
            not re.search(r"[^é](?:e|es|ent)$", token.lower_) and \
            not (token.i > 1 and doc[token.i - 1].text == "," and doc[token.i - 2].text in ("»", '"')):
        return None  # "47 cas confirmés" (but "», ajoute une chaîne", which the tagger calls a participle)
    following = doc[cue_end + 1] if cue_end + 1 < len(doc) else None
    if passive:
        return None  # "Aucun décès n'a été signalé", "nos pertes sont jugées minimes"
    if negated(doc, group, head.i) and (verb in lists.silent_when_negated or cue_end == token.i and
                                        next_word(doc, cue_end) is not None and
                                        doc[next_word(doc, cue_end)].lower_ in ("que", "qu'")):
        return None  # "ce que la commission n'a pas commenté", "les compteurs ne relèvent que ..."
    if verb == "rapporter" and following is not None and following.like_num:
        return None  # "ces mesures rapporteraient 3,2 milliards"
    last = doc[cue_end]
    cue = Span(token.idx, last.idx + len(last.text), sentence.text[token.idx:last.idx + len(last.text)])
    return _Said(token, verb, head, group, reflexive, cue, cue_end)


def _clitic_subject(sentence: ParsedSentence, said: _Said) -> Attribution | None:
    """The pronoun glued to the verb ("a-t-il ajouté", "explique-t-il", "nous dit-on"), resolved
    to the article's last named source."""
    doc, token, clitics = sentence.doc, said.token, words().subject_clitics
    found = [c for c in doc[token.i - 2:token.i] if c.text.lower() in clitics] or \
        [c for c in doc[token.i + 1:token.i + 3] if c.text.lower() in clitics
         and all(t.text.lower() in ("-t",) or t.text.lower() in clitics for t in doc[token.i + 1:c.i])]
    if not found:
        return None
    pronoun = found[-1]
    mention = Span(pronoun.idx + 1, pronoun.idx + len(pronoun.text),
                   sentence.text[pronoun.idx + 1:pronoun.idx + len(pronoun.text)])
    kind, refers = sentence.resolve(mention.text)
    return Attribution(mention, said.cue, kind, "inverted", refers_to=refers)


def _inverted_subject(sentence: ParsedSentence, said: _Said) -> Attribution | None:
    """The subject after the verb, when the clause or quote before it is what it reports
    (", a annoncé la mairie", "», affirme le ministère", "», confiait à nos micros Milena",
    "comme le montre le registre"); not an object ("a jugé le vote « régulier »")."""
    doc, group, cue_end = sentence.doc, said.group, said.cue_end
    before = doc[group - 1] if group > 0 else None
    following = doc[cue_end + 1] if cue_end + 1 < len(doc) else None
    as_shown = before is not None and (before.lower_ == "comme" or before.lower_ in ("le", "l'") and group > 1
                                       and doc[group - 2].lower_ == "comme")  # "comme le montre le registre"
    if not (said.head is said.token and before is not None and following is not None and (as_shown or (
            before.text in (",", "»", "—", "–") and (content_before(doc, group) or long_clause_before(doc, group)
                                                      and source_like(doc, cue_end + 1, sentence.registry))))):
        return None
    first = inverted_subject_start(doc, cue_end + 1)
    if not (first < len(doc) and (doc[first].pos_ in ("DET", "PROPN", "NOUN") or
                                  doc[first].lower_ in words().definite_articles) and
            doc[first].lower_ not in ("ce", "cet", "cette", "ces")):
        return None
    span = noun_phrase_after(doc, first)
    mention = text_span(sentence.text, *span) if span else None
    after = next((t for t in doc if span and t.idx >= span[1]), None)
    if after is not None and (after.text in ("«", '"') or after.lower_ in ("comme", "que", "qu'")):
        return None  # an object ("a jugé le vote « régulier »"), not an inverted subject
    if mention is None:
        return None
    return Attribution(mention, said.cue, sentence.kind_of(mention.text), "inverted")


# Subjects that are not sources: negated or empty quantities, rhetorical "ceux qui", "les mêmes".
_NOT_A_SOURCE = re.compile(r"^(?:aucun|aucune|rien|personne|ceux|celles|celui|celle|ni|quant|chacun|chacune|"
                           r"un tel|une telle|de tels|de telles|\d)\b", re.IGNORECASE)
_SAME = re.compile(r"^(?:les mêmes|le même|la même|ces mêmes)\b", re.IGNORECASE)
_OWN_WORDS = re.compile(r"^(?:nos|notre|mes|mon|ma|vos|votre)\s", re.IGNORECASE)


def _subject_before(sentence: ParsedSentence, said: _Said) -> Iterator[Attribution]:
    """The subject before the verb ("le ministère a indiqué que", "Des experts que nous avons
    consultés affirment"), when the verb reports something; a pronoun resolved, two subjects
    joined by "et" apart."""
    doc, text, parsed, token, verb, lists = sentence.doc, sentence.text, sentence.parsed, said.token, said.verb, words()
    if verb in lists.needs_content and not has_content(doc, token, verb):
        return
    said_of = next_word(doc, token.i) if verb == "parler" else None
    if verb == "parler" and (said_of is None or doc[said_of].lower_ not in ("de", "d'", "du", "des")):
        return  # "parle d'un accident", not "les chiffres parlent"
    if verb == "parler" and re.match(r"\s*d'(?:eux|elle|elles|lui)-mêmes?", parsed[token.idx + len(token.text):]):
        return  # "les faits parlent d'eux-mêmes"
    if said.reflexive and verb not in lists.reflexive_verbs:
        return  # reflexive ("s'explique")
    span = subject_span(doc, said.head)
    if span is None:
        return
    mention = text_span(text, *span)
    if mention is None or len(mention.text) > 160 or _NOT_A_SOURCE.match(mention.text):
        return
    if _SAME.match(mention.text) and (len(mention.text.split()) <= 2 or re.match(r"\s*qui\b", parsed[mention.end:])):
        return  # "les mêmes qui nous juraient": rhetoric, not a source ("la même chaîne assure" is one)
    if _OWN_WORDS.match(mention.text) and parsed.count("«", 0, token.idx) > parsed.count("»", 0, token.idx):
        return  # "« nos données montrent que ... », a expliqué X": the speaker's own evidence
    low = mention.text.lower()
    if low in lists.pronouns:
        kind, refers = sentence.resolve(low)
        yield Attribution(mention, said.cue, kind, "subject", refers_to=refers)
        return
    for part in coordinated(text, mention):
        kind = sentence.kind_of(part.text)
        sentence.remember(part.text, kind)
        yield Attribution(part, said.cue, kind, "subject")


# The rules, in the order they run: a span an earlier rule took is not given to a later one.
RULES: tuple[Rule, ...] = (source_line, agentless, preposition, opinion, agent, reporting_verb)

# What each rule writes in Attribution.rule (the reporting verb tells a subject before it from
# one after it); "quote-continued" is written by the post-processing, not by a rule.
LABELS: dict[Rule, tuple[str, ...]] = {
    source_line: ("source-line",), agentless: ("agentless",), preposition: ("preposition",), opinion: ("opinion",),
    agent: ("agent",), reporting_verb: ("subject", "inverted"),
}


# -- what every rule's mention must be -------------------------------------------------------

MAX_MENTION_WORDS = 16  # a name with its description ("Ilse Marquant, coordinatrice de ...") fits


def _clause_start(tokens: list) -> int | None:
    """Where a clause starts inside a mention, as an index into ``tokens``: a relative pronoun
    ("Des médecins que nous avons contactés") or a finite auxiliary or modal followed, adverbs
    aside, by a participle or an infinitive ("L'ARS a démenti", "avaient rédigé", "devrait
    néanmoins enregistrer"). A lone word the small model tags as a finite verb ("comptes" in "la
    Cour des comptes") starts none."""
    for i, token in enumerate(tokens):
        if i and token.text.lower() in words().relatives and token.pos_ == "PRON":
            return i
        finite = "Fin" in token.morph.get("VerbForm")
        if not finite or not (token.pos_ == "AUX" or token.lemma_ in ("devoir", "pouvoir")):
            continue
        following = next((t for t in tokens[i + 1:] if t.pos_ not in ("ADV", "PART")), None)
        if following is not None and following.pos_ in ("VERB", "AUX") and \
                set(following.morph.get("VerbForm")) & {"Part", "Inf"}:
            return i
    return None


def as_speaker(sentence: ParsedSentence, attribution: Attribution) -> Attribution | None:
    """The attribution with its mention cut to the noun phrase naming who speaks, or None when it
    names nobody. Whichever rule found it: a clause inside the mention is cut off ("L'ARS a démenti
    cette rumeur" -> "L'ARS"; "X, qui ..." -> "X"), and nothing is left when the clause starts it;
    a mention longer than MAX_MENTION_WORDS words is refused, and so is an event or operation as the
    subject or inverted subject of the verb ("L'opération de l'armée ... a révélé": what happened,
    not who speaks; words().event_nouns)."""
    mention = attribution.mention
    if mention is None or attribution.rule in ("source-line", "agentless"):
        return attribution
    tokens = [t for t in sentence.doc if t.idx >= mention.start and t.idx + len(t.text) <= mention.end]
    cut = _clause_start(tokens)
    if cut is not None:
        kept = [t for t in tokens[:cut]]
        while kept and (kept[-1].is_punct or kept[-1].pos_ in ("ADV", "CCONJ")):
            kept.pop()
        if not kept:
            return None
        end = kept[-1].idx + len(kept[-1].text)
        attribution = dataclasses.replace(attribution, mention=Span(mention.start, end,
                                                                    sentence.text[mention.start:end]))
        tokens = kept
    if len([t for t in tokens if not t.is_punct]) > MAX_MENTION_WORDS:
        return None
    if attribution.rule in ("subject", "inverted"):
        head = next((t for t in tokens if t.pos_ not in ("DET", "PUNCT", "ADJ", "NUM")), None)
        if head is not None and head.text.lower() in words().event_nouns:
            return None
    return attribution
