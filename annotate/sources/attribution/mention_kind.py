"""The kind of a source mention (official, state media, independent media, expert/NGO, anonymous
or vague, social media, other): from the source registry when the mention names a registered
source, else from the words of the mention, read against the lists of configs/attribution.yaml."""

from __future__ import annotations

import re

from annotate.sources.attribution.word_lists import words


def kind_of(mention: str, registry=None) -> str:
    """The kind of a source mention, from the registry or from its words."""
    if registry is not None:
        entry = registry.match(mention)
        if entry is not None:
            return entry.kind
    lists = words()
    low = mention.lower().replace("’", "'")
    terms = re.findall(r"\w[\w-]*", low.replace("'", "' "))  # "l'agence" -> "l", "agence"
    if not terms:
        return "anonymous_vague"
    if low in lists.pronouns or low in lists.vague_mentions or low.startswith(("l'un d", "l'une d")):
        return "anonymous_vague"  # "l'un d'eux": one of an unnamed group
    has_name = any(w[:1].isupper() for w in re.findall(r"[\w'-]+", mention)[1:]) or mention[:1].isupper() and \
        not low.startswith(lists.article_openings + lists.unnamed_openings)
    head = next((w for w in terms if w not in lists.head_skip_words), terms[0])
    if any(w in lists.social_words for w in terms[:4]) or "réseaux sociaux" in low or re.search(r"\bcompte x\b", low):
        return "social_media"
    name, comma, description = mention.partition(",")
    if comma and name[:1].isupper() and not low.startswith(lists.article_openings):
        described = re.findall(r"\w[\w-]*", description.lower().replace("'", "' "))
        if described and (described[0] in lists.expert_roles or described[0] in lists.singular_articles
                          and len(described) > 1 and described[1] in lists.expert_roles):
            return "expert_ngo"  # "Lena Hristova, économiste en chef de la banque X"
        if any(w in lists.party_words for w in described):
            return "other"  # "Mirela Kostan, cheffe du Mouvement pour le renouveau"
        if any(w in lists.official_words for w in described):
            return "official"  # "Claire Vasseur, ingénieure sanitaire à l'ARS"
    if re.match(r"(?:son|sa|leur)\s+cabinet\b", low):
        return "official"  # a minister's office
    if low.startswith(lists.vague_openings) and not has_name:
        return "anonymous_vague"  # "un haut responsable du ministère", "des économistes indépendants"
    if low.startswith(lists.indefinite_openings) and "," not in mention and \
            next((w for w in terms[1:4] if w not in lists.rank_words), "") in lists.anonymous_heads:
        return "anonymous_vague"  # "un haut responsable du ministère des Finances": unnamed, whatever its employer
    if head in lists.anonymous_heads and not has_name:
        return "anonymous_vague"
    if "journal officiel" in low:
        return "official"  # the gazette of laws and decrees, not a newspaper
    medium = head in lists.media_words or any(w in lists.media_words for w in terms[:2])
    if medium and (head != "agence" or "presse" in terms or has_name) and _state_described(low, lists):
        return "state_media"  # "l'agence de presse d'État sévrane", "la télévision officielle korvane"
    if head == "agence" and "presse" not in terms:
        return "official"  # "l'agence régionale de santé"; a news agency says "agence de presse" or has a name
    if medium:
        return "independent_media"
    if any(w in lists.official_words for w in terms[:6]):
        return "official"
    if any(w in lists.expert_words for w in terms):
        return "expert_ngo"
    return "other"


def described_as_state_media(mention: str) -> bool:
    """A news medium the mention itself calls the state's ("l'agence de presse d'État sévrane"): its
    words say the kind, which the learned kind model does not override."""
    return kind_of(mention) == "state_media"


def _state_described(low: str, lists) -> bool:
    """A medium the mention itself calls the state's or the government's (words().state_markers)."""
    padded = f" {low} "
    return any(f" {marker} " in padded or f"'{marker} " in padded or f" {marker}," in padded
               for marker in lists.state_markers)
