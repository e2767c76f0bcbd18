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
