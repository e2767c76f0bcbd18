"""Grouping an article's source mentions into sources (annotate/sources/entities.py): the forms
one speaker takes in an article, and the sources that must stay apart."""

from __future__ import annotations

import pytest

from annotate.sources.entities import EntityGrouper, countries_of, group_attributions, known_countries, voices_of
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


def test_the_attributor_learns_offices_from_sentences_that_attribute_nothing() -> None:
    from annotate.sources.attribution import Attributor

    sentences = ["Le ministère de l'Intérieur a dénoncé une agression.",
                 "Le ministre de l'Intérieur, Dragan Volesk, a promis une riposte.",  # no reporting verb
                 "Volesk a assuré que la patience du pays avait des limites."]
    found = Attributor(REGISTRY)([("a", text) for text in sentences])
    assert found[1] == []
    assert [a.entity for a in found[0] + found[2]] == ["s1", "s1"]


@pytest.mark.parametrize("forms", [
    ["le ministère de l'Intérieur", "le ministre de l'Intérieur, Dragan Volesk", "Volesk"],
    ["le ministre de l'Intérieur, Dragan Volesk", "le ministère de l'Intérieur de Sévranie", "le ministère"],
    ["La présidence sévrane", "Le porte-parole de la présidence, Anton Reszko", "Reszko"],
    ["le ministre de l'Intérieur, Dragan Olesko", "Le ministre"],  # a bare title: the last who bore it
    ["la chaîne publique", "la télévision d'État"],  # one outlet described twice
])
def test_an_office_holder_speaks_for_the_office(forms: list[str]) -> None:
    assert grouped(*[(form, "official") for form in forms]) == ["s1"] * len(forms)


@pytest.mark.parametrize("first, second", [
    ("le ministère de la Défense", "le ministre de l'Intérieur, Dragan Volesk"),  # another ministry
    ("le ministère de la Défense", "la ministre, Sofia Reniak"),  # "la ministre" alone names no ministry
    ("le ministère de la Défense", "son porte-parole"),  # whose spokesperson, the attribution rules say
    ("la chaîne privée Kanal 3", "la chaîne publique"),
    ("la télévision d'État korvane", "la télévision publique sévrane"),  # two countries' channels
])
def test_offices_and_outlets_stay_apart(first: str, second: str) -> None:
    assert grouped((first, "official"), (second, "official"), registry=REGISTRY) == ["s1", "s2"]


def test_an_apposition_gives_a_person_their_office_even_where_nothing_is_attributed() -> None:
    grouper = EntityGrouper()
    ministry = grouper.assign("Le ministère de l'Intérieur de Sévranie", "official")
    grouper.learn_titles("Le ministre de l'Intérieur, Dragan Volesk, a promis une riposte.")
    assert grouper.assign("Volesk", "other") is ministry and ministry.kind == "official"
    # "Selon" introduces a source speaking of someone, not their office.
    grouper.learn_titles("Selon le ministre, Marek Dolin, un militant, a été arrêté.")
    assert grouper.assign("Marek Dolin", "other") is not ministry


def test_a_person_cited_before_the_apposition_is_folded_into_the_office() -> None:
    """The attributor groups while reading: "Volesk" got its own entity before the profile reads the
    apposition in a sentence that attributes nothing; group_attributions folds it into the ministry."""
    from annotate.sources.attribution import Attribution
    from annotate.text.segment import Span

    def said(mention: str, kind: str, entity: str = "") -> Attribution:
        return Attribution(Span(0, len(mention), mention), None, kind, "subject", entity=entity, entity_name=mention)

    attributions = [said("Le ministère de l'Intérieur", "official", "s1"), said("Volesk", "other", "s2"),
                    said("l'ONG Veille", "expert_ngo", "s3"), said("Divers", "anonymous_vague")]
    texts = ["Le ministère de l'Intérieur accuse.", "Le ministre de l'Intérieur, Dragan Volesk, a promis une riposte.",
             "Volesk a assuré que tout irait bien.", "L'ONG Veille doute.", "Source : Divers"]
    entities, ids = group_attributions(attributions, texts=texts)
    assert ids == ["s1", "s1", "s2", ""] and [e.id for e in entities] == ["s1", "s2"]
    assert entities[0].mentions == ["Le ministère de l'Intérieur", "Volesk"] and entities[0].kind == "official"
    assert group_attributions(attributions)[1] == ["s1", "s2", "s3", ""]  # without the text, apart


def test_an_entity_kind_state_media_once_said_and_other_as_no_cue() -> None:
    grouper = EntityGrouper()
    agency = grouper.assign("l'agence de presse d'État", "state_media")
    for kind in ("official", "official", "other"):
        assert grouper.assign("l'agence", kind) is agency
    assert agency.kind == "state_media"
    # A bare "la chaîne" called state media says nothing of who runs a Telegram channel.
    channel = grouper.assign("une chaîne Telegram pro-korvane", "social_media")
    assert grouper.assign("la chaîne", "state_media") is channel and channel.kind == "social_media"
    person = grouper.assign("Sofia Reniak", "other")
    grouper.assign("Reniak", "other")
    assert person.kind == "other"
    grouper.assign("Mme Reniak", "official")
    assert person.kind == "official"  # one mention told, the others said nothing


def test_countries_of_a_source() -> None:
    countries = known_countries(REGISTRY)
    assert {"korvanie", "sevranie", "valdoria", "france"} <= set(countries)
    grouper = EntityGrouper(REGISTRY)
    assert countries_of(grouper.assign("le ministère korvan de la Défense", "official"), countries) == {"korvanie"}
    assert countries_of(grouper.assign("la préfecture", "official"), countries) == frozenset()
    assert countries_of(grouper.assign("Korvan Info", "other"), countries) == {"korvanie"}  # the registry's
    assert countries_of(grouper.assign("le ministère valdorien de la Santé", "official"), countries) == {"valdoria"}
