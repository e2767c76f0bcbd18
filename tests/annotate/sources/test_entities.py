"""Grouping an article's source mentions into sources (annotate/sources/entities.py): the forms
one speaker takes in an article, and the sources that must stay apart."""

from __future__ import annotations

import pytest

from annotate.sources.entities import EntityGrouper, group_attributions, voices_of
from annotate.sources.registry import load_registry

REGISTRY = load_registry()


def grouped(*mentions: str, registry=None) -> list[str]:
    grouper = EntityGrouper(registry)
    return [(entity.id if (entity := grouper.assign(mention, kind)) else "-") for mention, kind in mentions]


@pytest.mark.parametrize("forms", [
    ["le ministère de l'Intérieur", "Le ministère", "le ministère de l'Intérieur", "LE MINISTÈRE"],
    ["l'Agence centrale de presse", "l'ACP"],
    ["ACP", "Agence centrale de presse"],
    ["la ministre, Sofia Reniak", "Sofia Reniak", "Reniak", "Mme Reniak"],
    ["Reniak", "Sofia Reniak"],
    ["le ministère", "le ministère de la Défense"],  # the short form first: the longer name is kept
])
def test_the_forms_of_one_source_are_one_entity(forms: list[str]) -> None:
    assert grouped(*[(form, "official") for form in forms]) == ["s1"] * len(forms)


@pytest.mark.parametrize("first, second", [
    ("le ministère de l'Intérieur", "le ministère de la Défense"),
    ("la Banque centrale de Valdoria", "le gouvernement de Valdoria"),
    ("Sofia Reniak", "Pavel Reniev"),
    ("l'Agence centrale de presse", "l'AFD"),
    ("Le Courrier de l'Aube", "Le Quotidien valdorien"),
])
def test_different_sources_stay_apart(first: str, second: str) -> None:
    assert grouped((first, "official"), (second, "official")) == ["s1", "s2"]


def test_a_short_form_joins_the_most_recent_source_it_fits() -> None:
    assert grouped(("le ministère de l'Intérieur", "official"), ("le ministère de la Défense", "official"),
                   ("le ministère", "official")) == ["s1", "s2", "s2"]


def test_anonymous_sources_are_nobody_and_the_registry_names_its_entries() -> None:
    grouper = EntityGrouper(REGISTRY)
    assert grouper.assign("des sources", "anonymous_vague") is None
    first = grouper.assign("l'Organisation mondiale de la santé", "expert_ngo")
    second = grouper.assign("l'OMS", "other")
    assert first is second and first.registry_id == "oms" and first.kind == first.registry_kind


def test_an_entity_kind_is_decided_once_by_its_mentions() -> None:
    grouper = EntityGrouper()
    for kind in ("official", "other", "official"):
        entity = grouper.assign("le ministère de l'Intérieur", kind)
    assert entity.kind == "official" and entity.attributions == 3 and entity.mentions == ["le ministère de l'Intérieur"]


def test_a_pronoun_counts_for_what_it_refers_to() -> None:
    from annotate.sources.attribution import Attribution
    from annotate.text.segment import Span

    attributions = [Attribution(Span(0, 11, "Le ministère"), None, "official", "subject"),
                    Attribution(Span(0, 2, "Il"), None, "official", "subject", refers_to="Le ministère"),
                    Attribution(Span(0, 6, "Divers"), None, "anonymous_vague", "source-line")]
    entities, ids = group_attributions(attributions)
    assert ids == ["s1", "s1", ""] and entities[0].attributions == 2


def test_voices() -> None:
    assert voices_of([5]) == 1.0 and voices_of([1, 1]) == 2.0 and voices_of([]) == 0.0
    assert voices_of([8, 1, 1]) == pytest.approx(1.52, abs=0.01)


def test_an_acronym_defined_beside_a_source_names_it_later() -> None:
    grouper = EntityGrouper()
    text = "Selon l'agence de presse d'État sévrane, l'Agence sévrane d'information (ASI), les rebelles ont reculé."
    agency = grouper.assign("l'agence de presse d'État sévrane", "state_media")
    start = text.index("l'agence")
    grouper.learn_acronyms(text, [(start, start + len("l'agence de presse d'État sévrane"), agency)])
    assert grouper.assign("l'ASI", "other") is agency
    assert grouper.assign("la BCE", "official") is not agency  # an acronym nobody defined stays apart


def test_the_attributor_groups_while_reading_and_the_profile_keeps_it() -> None:
    from annotate.sources.attribution import Attributor
    from annotate.sources.profile import profile_article

    sentences = ["Selon l'agence de presse d'État sévrane, l'Agence sévrane d'information (ASI), les rebelles "
                 "auraient reçu des armes.", "Les stocks sont considérables, selon l'ASI."]
    found = Attributor(REGISTRY)([("a", text) for text in sentences])
    agency, acronym = found[0][0], found[1][0]
    assert agency.entity == acronym.entity == "s1" and agency.kind == "state_media"
    profile = profile_article("a", "Titre", [(1, f) for f in found], REGISTRY)
    assert profile.sources == 1 and profile.entities[0]["mentions"][-1] == "l'ASI"
