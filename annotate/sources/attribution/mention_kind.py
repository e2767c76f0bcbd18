"""The kind of a source mention (official, state media, independent media, expert/NGO, anonymous
or vague, social media, other): from the source registry when the mention names a registered
source, else from the words of the mention, read against the lists of configs/attribution.yaml.

Besides the lists, two shapes of mention are read for whom they speak for (corpus/gold/GUIDE.md,
"Source kinds: borderline cases"): a role ("le porte-parole du parti", "la direction du groupe",
"le directeur de l'hôpital") takes the kind of the body it belongs to, and a document ("le
rapport de la Cour des comptes", "l'étude d'impact publiée par le gouvernement") the kind of who
published it.
"""

from __future__ import annotations

import re

from annotate.sources.attribution.word_lists import words

# Roles that speak or act for a body: their kind is the body's when the mention names it ("le
# porte-parole du parti" other, "la présidente de l'association" expert_ngo, "le directeur de
# l'hôpital" official); said alone ("le président"), or of a body no list knows ("le président de
# Valnergie"), the word lists decide. "Son président" takes the kind of what "son" refers to
# (extraction._owner) when the article named it.
_ROLES = frozenset({
    "président", "présidente", "vice-président", "vice-présidente", "porte-parole", "direction", "directeur",
    "directrice", "directeurs", "dirigeant", "dirigeante", "dirigeants", "chef", "cheffe", "premier",
    "secrétaire", "patron", "patronne", "gérant", "gérante", "représentant", "représentante", "représentants",
    "délégué", "déléguée", "administrateur", "administratrice", "fondateur", "fondatrice", "coordinateur",
    "coordinatrice", "service", "services", "cellule", "équipe", "conseil", "administration", "communication",
    "avocat", "avocate", "avocats", "numéro", "député", "députée", "députés", "sénateur", "sénatrice",
    "sénateurs", "parlementaire", "parlementaires", "élu", "élue", "élus", "auteur", "autrice", "auteurs",
    "directoire"})

# Documents: their kind is their publisher's ("a ministry's or a court's report official, an NGO's
# or a research institute's study expert_ngo, a company's report other"); one whose publisher the
# mention does not say is a document, not an anonymous person ("un document interne": other, as the
# taxonomy's "document non officiel").
_DOCUMENTS = frozenset({
    "rapport", "rapports", "étude", "études", "enquête", "enquêtes", "document", "documents", "note", "notes",
    "données", "chiffres", "résultats", "bilan", "bilans", "statistiques", "sondage", "sondages", "registre",
    "procès-verbal", "compte-rendu", "courrier", "lettre", "mémo", "synthèse", "audit", "relevé", "relevés",
    "estimation", "estimations", "projections", "prévisions", "décompte", "comptage", "communiqué",
    "bulletin", "décret", "circulaire", "délibération", "avis", "analyse", "expertise", "images", "image",
    "photos", "photo", "enregistrement", "enregistrements", "légende", "texte"})

# Hospitals: public institutions (official) when they speak, or a role for them ("l'hôpital", "le
# directeur de l'hôpital"); a doctor quoted for their expertise is expert_ngo (GUIDE.md).
_HOSPITALS = frozenset({"hôpital", "hôpitaux", "chu", "chr", "hospitalier", "hospitalière", "hospitaliers"})

# Titles before a person's name ("le Dr Hélène Barrau", "le professeur Iosif Marek").
_TITLES = frozenset({"dr", "docteur", "docteure", "pr", "professeur", "professeure", "me", "maître", "m.", "mme"})

# A bank that is a public institution ("la Banque centrale", "la Banque mondiale", "la Banque de
# France"); any other bank ("la banque Alvéna Capital", "les banques") is a company.
_PUBLIC_BANK = re.compile(r"\b(?i:banque)\s+(?:(?i:centrale|mondiale|nationale|fédérale|européenne|africaine|"
                          r"asiatique|interaméricaine|publique|des règlements|de réserve)\b|d(?:[eu]|')?\s*[A-ZÀ-Ý])")
_BANK = re.compile(r"\bbanques?\b", re.IGNORECASE)

_WORD = re.compile(r"\w[\w-]*")
_OF = frozenset({"de", "du", "des", "d", "à", "au", "aux"})
_THINK_TANK = re.compile(r"\bthink tank\b", re.IGNORECASE)
_NEWS_SITE = re.compile(r"\bsite (?:d' ?information|d' ?actualité|d' ?investigation|internet|web|de presse)")


def kind_of(mention: str, registry=None) -> str:
    """The kind of a source mention, from the registry or from its words."""
    if registry is not None:
        entry = registry.match(mention)
        if entry is not None:
            return entry.kind
    lists = words()
    mention = _THINK_TANK.sub("think-tank", mention)
    low = mention.lower().replace("’", "'")
    terms = _terms(low)
    if not terms:
        return "anonymous_vague"
    if low in lists.pronouns or low in lists.vague_mentions or low.startswith(("l'un d", "l'une d")):
        return "anonymous_vague"  # "l'un d'eux": one of an unnamed group
    unnamed = lists.article_openings + lists.unnamed_openings + lists.vague_openings
    # A capital that only opens the sentence ("Tout le monde", "Ceux qui", "De nombreux chefs") is no name.
    has_name = any(w[:1].isupper() for w in re.findall(r"[\w'-]+", mention)[1:]) or mention[:1].isupper() and \
        not low.startswith(unnamed)
    head = next((w for w in terms if w not in lists.head_skip_words), terms[0])
    if any(w in lists.social_words for w in terms[:4]) or "réseaux sociaux" in low or re.search(r"\bcompte x\b", low):
        return "social_media"
    name, comma, description = mention.partition(",")
    if comma and _names_a_person(name, lists):
        kind = _described(description, lists)
        if kind is not None:
            return kind  # "Lena Hristova, économiste en chef de la banque X"; "le Dr X, responsable ... à l'ARS"
    if re.match(r"(?:son|sa|leur)\s+cabinet\b", low):
        return "official"  # a minister's office
    document = next((i for i, w in enumerate(terms[:4]) if w in _DOCUMENTS), None)
    if document is not None and not any(w in lists.speakers for w in terms[:document]):
        # "un rapport du ministère", "l'étude d'impact publiée par le gouvernement": the publisher's kind
        kind = _body_kind(_body(_words(mention), document, lists), lists)
        if kind is not None:
            return kind
        if low.startswith(lists.vague_openings + lists.unnamed_openings):
            return "other"  # "un document interne": a document, whoever wrote it, not an unnamed person
    # The name of a place or a body ("des habitants de Tressa", "un journaliste du Quotidien") does
    # not name the person: only a name that is not the complement of a noun does.
    person_named = any(w[:1].isupper() and before.lower() not in _OF | {"le", "la", "les", "l"}
                       for before, w in zip(_words(mention), _words(mention)[1:])) or \
        mention[:1].isupper() and not low.startswith(unnamed)
    if low.startswith(lists.vague_openings + lists.unnamed_openings) and not person_named:
        return "anonymous_vague"  # "un haut responsable du ministère", "des économistes indépendants", "certains, ..."
    if low.startswith(lists.indefinite_openings) and "," not in mention and \
            next((w for w in terms[1:4] if w not in lists.rank_words), "") in lists.anonymous_heads:
        return "anonymous_vague"  # "un haut responsable du ministère des Finances": unnamed, whatever its employer
    if head in lists.anonymous_heads and not has_name:
        return "anonymous_vague"
    if "journal officiel" in low:
        return "official"  # the gazette of laws and decrees, not a newspaper
    if head in _HOSPITALS or head == "centre" and "hospitalier" in terms[:4]:
        return "official"  # "l'hôpital", "le centre hospitalier": a public institution speaking as such
    if head in lists.expert_roles:
        return "expert_ngo"  # "le constitutionnaliste Andrei Kolev"
    if head in lists.party_words or _company_bank(head, mention):
        return "other"  # "le groupe public Korgaz", "le syndicat des boulangers": a company, a party, a union
    if head in _ROLES:
        at = terms.index(head)
        kind = _body_kind(_body(_words(mention), at, lists, role=True), lists, role=True)
        if kind is not None:
            return kind  # "le porte-parole du parti", "la direction du groupe", "le directeur de l'hôpital"
    elif head not in lists.official_words and \
            _body_kind(_body(_words(mention), terms.index(head), lists), lists) == "other":
        return "other"  # "l'Association des banques de Valdoria", "la chambre des entreprises": a trade body
    medium = head in lists.media_words or any(w in lists.media_words for w in terms[:2])
    if medium and (head != "agence" or "presse" in terms or has_name) and _state_described(low, lists):
        return "state_media"  # "l'agence de presse d'État sévrane", "la télévision officielle korvane"
    if head == "agence" and "presse" not in terms:
        return "official"  # "l'agence régionale de santé"; a news agency says "agence de presse" or has a name
    if medium:
        if head.endswith(("s", "x")) and low.startswith(("les ", "des ")) and not has_name:
            return "anonymous_vague"  # "les médias occidentaux": a whole trade, no one in particular
        return "independent_media"
    if re.search(r"\bnon[- ]gouvernementa(?:le|les|l|ux)\b", low):
        return "expert_ngo"  # "l'organisation non gouvernementale X": an NGO, not the government
    if any(w in lists.official_words for w in terms[:6]):
        return "official"
    if any(w in lists.expert_words for w in terms):
        return "expert_ngo"
    return "other"


def described_as_state_media(mention: str) -> bool:
    """A news medium the mention itself calls the state's ("l'agence de presse d'État sévrane"): its
    words say the kind, which the learned kind model does not override."""
    return kind_of(mention) == "state_media"


def _terms(low: str) -> list[str]:
    return _WORD.findall(low.replace("'", "' "))  # "l'agence" -> "l", "agence"


def _words(text: str) -> list[str]:
    """The words of ``text`` in their own case, cut as :func:`_terms` cuts them."""
    return _WORD.findall(text.replace("’", "'").replace("'", "' "))


def _body(words: list[str], after: int, lists, role: bool = False) -> list[str]:
    """The words that name the body a role or a document belongs to, in their own case: after
    ``words[after]``, from "par" ("publiée par le gouvernement"), else from the first "de", "du",
    "à" ("le directeur de l'hôpital", "ingénieure à l'ARS"), else right after it ("un sondage
    Ifop"), to the next word that ends a noun phrase ("le rapport de l'ONG sur les entreprises"
    stops at "sur"). After a role, a role again is passed over ("le conseil d'administration du
    groupe", "la directrice de la communication de l'ONG": the group, the NGO)."""
    rest = words[after + 1:]
    low = [w.lower() for w in rest]
    if "par" in low:
        start = low.index("par") + 1
    else:
        start = next((i + 1 for i, w in enumerate(low) if w in _OF), 0)  # else what follows: "un sondage Ifop"
    body = []
    for word in rest[start:]:
        if word.lower() in lists.stop_words:
            break
        body.append(word)
    if role:
        first = next((i for i, w in enumerate(body) if w.lower() not in lists.head_skip_words), None)
        if first is not None and body[first].lower() in _ROLES:
            return _body(body, first, lists, role=True)
    return body


def _names_a_person(name: str, lists) -> bool:
    """Whether the part of a mention before its comma is a name ("Lena Hristova", "le Dr Hélène
    Barrau"), so that what follows the comma describes who they speak for."""
    low = name.lower().replace("’", "'")
    if name[:1].isupper() and not low.startswith(lists.article_openings):
        return True
    tokens = name.split()
    if tokens and tokens[0].lower() in lists.articles:
        tokens = tokens[1:]
    named = [t for t in tokens if t.lower() not in _TITLES]
    return bool(named) and all(t[:1].isupper() for t in named)


def _described(description: str, lists) -> str | None:
    """The kind a description after a person's name gives ("économiste à l'université X",
    "porte-parole du parti", "directrice de l'hôpital")."""
    words = _words(description)
    described = [w.lower() for w in words]
    if not described:
        return None
    if described[0] in lists.expert_roles or described[0] in lists.singular_articles and len(described) > 1 \
            and described[1] in lists.expert_roles:
        return "expert_ngo"  # "Lena Hristova, économiste en chef de la banque X"
    role = next((i for i, w in enumerate(described[:3]) if w not in lists.head_skip_words), None)
    if role is not None and described[role] in _ROLES:
        kind = _body_kind(_body(words, role, lists, role=True), lists, role=True)
        if kind is not None:
            return kind  # "Ana Lind, présidente de l'association X", "Jan Korr, porte-parole du parti"
    if any(w in lists.party_words for w in described):
        return "other"  # "Mirela Kostan, cheffe du Mouvement pour le renouveau"
    if any(w in lists.official_words for w in described):
        return "official"  # "Claire Vasseur, ingénieure sanitaire à l'ARS"
    return None


def _body_kind(body: list[str], lists, role: bool = False) -> str | None:
    """The kind of the body named by ``body`` (what :func:`_body` found), None when it names none:
    a company, party or union first (other), then a medium, a public body, an expert body."""
    terms = [w.lower() for w in body]
    if not terms:
        return None
    text = " ".join(body)
    if any(w in lists.party_words for w in terms) or _BANK.search(text) and not _PUBLIC_BANK.search(text):
        return "other"
    if any(w in lists.social_words for w in terms) or "réseaux sociaux" in text.lower():
        return "social_media"  # "la légende publiée par une chaîne Telegram"
    if "journal officiel" in text.lower():
        return "official"  # "publiée au Journal officiel"
    if role and any(w in _HOSPITALS for w in terms[:4]):
        return "official"  # a public hospital's director speaks for a public institution
    first = next((w for w in terms if w not in lists.head_skip_words), "")
    if first == "site" and not _NEWS_SITE.search(text.lower()):
        first = ""  # "le directeur du site": a plant, unless a news site ("le site d'information X")
    if first in lists.media_words and (first != "agence" or "presse" in terms):
        return "state_media" if _state_described(text.lower(), lists) else "independent_media"
    if first == "agence" or any(w in lists.official_words for w in terms[:6]):
        return "official"
    if any(w in lists.expert_words for w in terms):
        return "expert_ngo"
    return None


def _company_bank(head: str, mention: str) -> bool:
    """A bank that is a company ("la banque Alvéna Capital"), not a central or public one."""
    return head in ("banque", "banques") and not _PUBLIC_BANK.search(mention.replace("’", "'"))


def _state_described(low: str, lists) -> bool:
    """A medium the mention itself calls the state's or the government's (words().state_markers)."""
    padded = f" {low} "
    return any(f" {marker} " in padded or f"'{marker} " in padded or f" {marker}," in padded
               for marker in lists.state_markers)
