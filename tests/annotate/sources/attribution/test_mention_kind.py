"""The kind of a mention the registry does not know, from its words: state media told by their
description; public-service broadcasters and the Journal officiel are not state media."""

from __future__ import annotations

import pytest

from annotate.sources.attribution import kind_of
from annotate.sources.registry import load_registry


@pytest.mark.parametrize("mention, kind", [
    ("l'agence de presse d'État sévrane", "state_media"),
    ("la télévision officielle korvane", "state_media"),
    ("les médias du régime", "state_media"),
    ("l'Agence officielle de presse korvane", "state_media"),
    ("la chaîne contrôlée par le pouvoir", "state_media"),
    ("la télévision publique", "independent_media"),  # public is not state-controlled
    ("l'agence de presse indépendante", "independent_media"),
    ("l'agence régionale de santé", "official"),
    ("le Journal officiel", "official"),
])
def test_kind_from_the_description(mention: str, kind: str) -> None:
    assert kind_of(mention) == kind


def test_real_state_outlets_are_state_media_with_their_owner_and_not_rated() -> None:
    registry = load_registry()
    for mention in ("l'agence chinoise Xinhua", "RT France", "l'agence russe TASS", "KCNA", "Sputnik"):
        entry = registry.match(mention)
        assert entry is not None and entry.kind == "state_media" and entry.reliability == "unknown", mention
        assert entry.basis.startswith("Genre :") and "Fiabilité non évaluée" in entry.basis
    for mention in ("la BBC", "France Télévisions"):
        entry = registry.match(mention)
        assert entry.kind == "independent_media" and "indépendance éditoriale" in entry.basis


@pytest.mark.parametrize("mention, kind", [
    # a role takes the kind of the body it speaks for (corpus/gold/GUIDE.md)
    ("la direction du groupe", "other"),
    ("le porte-parole du parti", "other"),
    ("le secrétaire général du syndicat", "other"),
    ("le conseil d'administration de la société", "other"),
    ("la porte-parole de l'entreprise, Ana Lind", "other"),
    ("Jan Korr, porte-parole du parti Renouveau", "other"),
    ("le député d'opposition Marek Ostin", "other"),
    ("le porte-parole du ministère de la Santé", "official"),
    ("le directeur de l'hôpital, le Dr Pavlo Remiz", "official"),
    ("Ana Lind, directrice de l'hôpital de Sorvik", "official"),
    ("la présidente de l'association Terre d'asile", "expert_ngo"),
    ("Ana Lind, porte-parole de l'ONG Mare Aperta", "expert_ngo"),
    ("le directeur de la rédaction du Quotidien de Korst", "independent_media"),
    ("le porte-parole", "official"),  # alone: the word lists decide
    # companies, parties, unions, professional orders, even state-owned
    ("le groupe public korvane Korgaz", "other"),
    ("l'Association des banques de Valdoria", "other"),
    ("la banque Alvéna Capital", "other"),
    ("la Banque centrale de Valdoria", "official"),
    ("la Banque de France", "official"),
    ("Le collectif Vernelles Debout", "other"),
    ("l'Ordre des médecins", "other"),
    ("le laboratoire pharmaceutique Helvimed", "other"),
    # a document takes the kind of who published it
    ("un rapport du ministère de l'Intérieur", "official"),
    ("l'étude d'impact publiée par le gouvernement lui-même", "official"),
    ("le bulletin hebdomadaire de l'Institut national de santé publique", "official"),
    ("sa délibération publiée au Journal officiel", "official"),
    ("un rapport confidentiel de la société Orvia", "other"),
    ("une étude de l'université de Korst", "expert_ngo"),
    ("la légende publiée par une chaîne Telegram pro-korvane", "social_media"),
    ("un document interne", "other"),  # a document, not an unnamed person
    ("Des images satellites", "other"),
    # named experts, and who is described
    ("le constitutionnaliste Andrei Kolev", "expert_ngo"),
    ("le Dr Hélène Barrau, responsable de la veille sanitaire à l'ARS", "official"),
    ("Thomas Reinhardt, toxicologue au CHU de Castelvert", "expert_ngo"),
    ("l'organisation non gouvernementale Veille citoyenne", "expert_ngo"),
    # a capital that only opens the sentence names no one; nor does a place or an employer
    ("Tout le monde", "anonymous_vague"),
    ("Ceux qui défendent ce budget", "anonymous_vague"),
    ("De nombreux chefs d'entreprise", "anonymous_vague"),
    ("certains, à droite comme à gauche", "anonymous_vague"),
    ("un journaliste du Quotidien valdorien", "anonymous_vague"),
    ("Les médias occidentaux", "anonymous_vague"),
    ("les médias du régime", "state_media"),
    ("l'auteur de la vidéo", "social_media"),
])
def test_kind_of_whom_the_mention_speaks_for(mention: str, kind: str) -> None:
    assert kind_of(mention) == kind
