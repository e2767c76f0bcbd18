"""Noun phrases over spaCy's parse: the one after a cue, the subject before a reporting verb
(with the appositions that identify it, without the incises that do not), the inverted subject
after one, and whether what follows a verb can be its speaker."""

from __future__ import annotations

from annotate.sources.attribution.syntax import REACHED, finite, incises, verb_group
from annotate.sources.attribution.word_lists import words


def noun_phrase_after(doc, first: int) -> tuple[int, int] | None:
    """Character span of the noun phrase starting at token ``first``: up to punctuation, a
    conjunction, a relative or a preposition other than "de"; an apposition between commas
    ("la maire, Hélène Marchetti,") is kept."""
    w = words()
    if first >= len(doc):
        return None
    end = first
    i = first
    while i < len(doc):
        token = doc[i]
        low = token.text.lower()
        if token.is_punct and token.text != "-":
            # ", Proper Name," apposition right after a common noun phrase
            if token.text == "," and i > first and i + 1 < len(doc) and \
                    (doc[i + 1].pos_ == "PROPN" or doc[i + 1].text[:1].isupper()):
                j = i + 1
                while j < len(doc) and (doc[j].pos_ in ("PROPN", "NOUN") or doc[j].text[:1].isupper()) and \
                        not doc[j].is_punct:
                    j += 1
                end = j - 1
                break
            break
        if i > first and (low in w.stop_words or token.pos_ in ("VERB", "AUX", "SCONJ", "CCONJ", "PRON")
                          and low not in ("l'", "d'", "un", "une", "eux", "elles")):
            break
        if i > first and token.pos_ == "ADP" and low not in ("de", "d'", "du", "des", "à", "au", "aux"):
            break
        if low in ("à", "au", "aux") and i > first and doc[i - 1].pos_ not in ("NOUN", "PROPN", "ADJ"):
            break
        end = i
        i += 1
    start_char = doc[first].idx
    end_char = doc[end].idx + len(doc[end].text)
    return start_char, end_char


def subject_span(doc, verb) -> tuple[int, int] | None:
    """The subject before a reporting verb: the nsubj subtree when the parse gives one that
    ends right before the verb group, else the words since the clause began."""
    w = words()
    group_start = verb_group(doc, verb.i)[0]
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubj:pass") and c.i < group_start]
    if not subjects and verb.dep_ == "conj" and verb.head.i < verb.i and group_start > 0 and \
            doc[group_start - 1].lower_ in ("et", "puis") and verb.head.pos_ in ("VERB", "AUX"):
        return subject_span(doc, verb.head)  # "X a demandé une enquête et rappelé que": X for both
    if subjects:
        subject = subjects[0]
        left = subject.left_edge.i
        if subject.lower_ == "qui" and verb.dep_.startswith("acl") and verb.head.i < subject.i:
            # "une chaîne Telegram, qui ajoute que": the antecedent is the source.
            antecedent = verb.head
            left, right = antecedent.left_edge.i, subject.i - 1
            while right > left and doc[right].is_punct:
                right -= 1
            while left < right and doc[left].pos_ == "ADP":
                left += 1
            return doc[left].idx, doc[right].idx + len(doc[right].text)
        if subject.lower_ in ("qui", "que", "qu'") or subject.lower_ in w.first_person:
            return None
        while left < subject.i and doc[left].is_punct:
            left += 1
        if left > 2 and doc[left - 1].lower_ in ("que", "qu'", "dont") and doc[left - 2].text == ",":
            # "Des économistes, que les grands médias n'invitent jamais, nous l'expliquent": the
            # parse took the relative clause's subject; the source is the noun phrase before it.
            i = left - 3
            while i >= 0 and doc[i].text not in (",", ";", ":", "«", "»"):
                i -= 1
            return _trim_lead(doc, i + 1, left - 2)
        while left >= 2 and doc[left - 1].text == "-" and not doc[left - 1].whitespace_ and \
                not doc[left - 2].whitespace_:
            left -= 2  # "Météo-France", which the tokenizer cut at the hyphen
        if subject.pos_ == "PROPN" and left > 1 and doc[left - 1].text == ",":
            # "La ministre de la Santé, Vera Lind, a jugé": the title before the name belongs to it.
            i = left - 2
            while i >= 0 and doc[i].text not in (",", ";", ":", "«", "»"):
                i -= 1
            title = doc[i + 1:left - 1]
            if len(title) and title[0].pos_ == "DET" and not any(t.pos_ in ("VERB", "AUX") for t in title):
                left = i + 1
        return _trim_lead(doc, left, group_start)
    # No subject found: the clause since the last boundary.
    i = group_start - 1
    while i >= 0 and not (doc[i].text in (";", ":", "«", "»") or doc[i].lower_ in ("que", "qu'")):
        i -= 1
    if i > 1 and doc[i].lower_ in ("que", "qu'", "dont") and doc[i - 1].text == ",":
        # "Des économistes, que les grands médias n'invitent jamais, nous l'expliquent"
        right = i - 2
        i = right
        while i >= 0 and doc[i].text not in (";", ":", "«", "»", ","):
            i -= 1
        return _trim_lead(doc, i + 1, right + 1)
    if i > 0 and doc[i].lower_ in ("que", "qu'") and doc[i].pos_ == "PRON" and doc[i - 1].pos_ in ("NOUN", "ADJ",
                                                                                                    "PROPN"):
        # "Des experts militaires que nous avons consultés affirment": the noun before the relative.
        right = i - 1
        while i >= 0 and doc[i].text not in (";", ":", "«", "»", ","):
            i -= 1
        return _trim_lead(doc, i + 1, right + 1)
    left = i + 1
    if left >= group_start or doc[left].lower_ in w.first_person:
        return None
    return _trim_lead(doc, left, group_start)


def _trim_lead(doc, left: int, end: int) -> tuple[int, int] | None:
    """Drop a leading adverbial ("Dans une note publiée lundi, ", "Interrogé par X, ") and a
    leading quote or clause closed by a comma; keep an apposition ("Marie Dupont, épidémiologiste")
    and drop an incise ("L'ONG X, qui avait déployé 300 observateurs,")."""
    while left < end and doc[left].is_punct and doc[left].text not in ("«", "»"):
        left += 1
    while True:
        commas = [t.i for t in doc[left:end] if t.text == ","]
        if not commas:
            break
        first = doc[left]
        if first.pos_ in ("ADP", "ADV", "VERB", "SCONJ") or first.text in ("«", "»") or REACHED.match(first.text) or \
                first.pos_ == "ADJ" and first.i + 1 < end and doc[first.i + 1].pos_ == "ADP":
            left = commas[0] + 1
            continue
        break
    if left >= end:
        return None
    last = _subject_extent(doc, left, end)
    while last > left and doc[last].is_punct:
        last -= 1
    return doc[left].idx, doc[last].idx + len(doc[last].text)


def _subject_extent(doc, left: int, end: int) -> int:
    """The last token of a subject running from ``left`` to before ``end``, with the
    appositions that identify it ("Le maire, Bertrand Olivet,") and without the incises that
    do not (a relative clause, "interrogée", "elle", a clause with its own verb)."""
    w = words()
    last = left
    segment_start = left
    for i in range(left, end + 1):
        if i < end and doc[i].text != ",":
            continue
        segment = doc[segment_start:i]
        if len(segment) == 0:
            break
        if segment_start > left:
            first = segment[0]
            if first.lower_ in w.relatives or first.pos_ in ("PRON", "ADV", "SCONJ", "CCONJ") or \
                    REACHED.match(first.text) \
                    or segment_start in incises(doc) or any(finite(t) for t in segment):
                break
        last = i - 1
        segment_start = i + 1
    return last


def inverted_subject_start(doc, first: int) -> int:
    """Where the subject of an inverted verb starts, past an incise ("de son côté"), adverbs,
    a day ("mercredi") and the one who was told ("à l'ACP", "à nos micros", "à Vérif'Actu")."""
    w = words()
    incise = incises(doc)
    limit = first + 8
    while first < len(doc) and first < limit:
        t = doc[first]
        if first in incise or t.pos_ == "ADV" or t.lower_ in w.time_words:
            first += 1
        elif t.lower_ in ("à", "au", "aux", "auprès", "devant", "pour") and t.pos_ == "ADP":
            first += 1
            while first < len(doc) and (doc[first].pos_ == "DET" or doc[first].lower_ in ("de", "d'")):
                first += 1
            first += 1  # the one noun or name told: "à l'ACP", "à nos micros", "au quotidien"
            while first < len(doc) and doc[first].pos_ == "ADJ":
                first += 1
        else:
            break
    return first


def source_like(doc, first: int, registry=None) -> bool:
    """The noun phrase at token ``first`` names something that can speak: a proper name, a
    registered source, or a head noun such as ministère, porte-parole, quotidien; and it ends the
    clause (an object is usually followed by more)."""
    speakers = words().speakers
    span = noun_phrase_after(doc, first) if first < len(doc) else None
    if span is None:
        return False
    tokens = [t for t in doc if span[0] <= t.idx < span[1]]
    after = next((t for t in doc if t.idx >= span[1]), None)
    if after is not None and not (after.is_punct and after.text not in ("«", '"') or after.pos_ == "ADP"):
        return False
    head = next((t for t in tokens if t.pos_ in ("NOUN", "PROPN")), None)
    if head is None:
        return False
    return head.pos_ == "PROPN" or head.lower_ in speakers or head.lemma_.lower() in speakers or \
        registry is not None and registry.match(doc.text[span[0]:span[1]]) is not None
