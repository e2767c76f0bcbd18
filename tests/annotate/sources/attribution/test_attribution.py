"""The source registry and attribution extraction: tolerant matching, malformed registries
named by line, and attributions found in sentences written for the purpose."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.sources.attribution import extract, extract_article, kind_of
from annotate.errors import InputError
from annotate.sources.registry import load_registry, normalise

REGISTRY = load_registry()


@pytest.mark.parametrize("mention, entry", [
    ("l'Organisation mondiale de la santé", "oms"),
    ("L’ORGANISATION MONDIALE DE LA SANTE", "oms"),  # case, accents, curly apostrophe
    ("le HCR", "hcr"),
    ("un décompte de l'ACP", "acp"),  # contains the alias as whole words
    ("Korvan Info, l'agence officielle korvane", "korvan-info"),
    ("Tomas Eider, analyste à l’Observatoire européen des médias", "observatoire-europeen-medias"),
    ("la Télévision nationale korvane", "tnk"),
    ("nationale Télévision korvane", "tnk"),  # word order
    ("Vérif’Actu", "verifactu"),
])
def test_registry_matching_is_tolerant(mention: str, entry: str) -> None:
    found = REGISTRY.match(mention)
    assert found is not None and found.id == entry


@pytest.mark.parametrize("mention", ["le ministère", "Le Monde diplomatique de Korst", "une source", "AC", ""])
def test_unknown_sources_are_not_guessed(mention: str) -> None:
    assert REGISTRY.match(mention) is None


def test_normalise() -> None:
    assert normalise("L’Agence  centrale-de presse") == "agence centrale de presse"
    assert normalise("de la Défense") == "defense"


REGISTRY_HEAD = "version: 1\nsources:\n"
ENTRY = ('  - id: {id}\n    name: "{name}"\n    aliases: [{aliases}]\n    kind: {kind}\n'
         '    reliability: {reliability}\n    basis: "test"\n')


def write_registry(tmp_path: Path, *entries: dict) -> Path:
    defaults = {"id": "a", "name": "Agence A", "aliases": "", "kind": "official", "reliability": "unknown"}
    path = tmp_path / "sources.yaml"
    path.write_text(REGISTRY_HEAD + "".join(ENTRY.format(**{**defaults, **e}) for e in entries), encoding="utf-8")
    return path


@pytest.mark.parametrize("entries, message", [
    (({"id": "a", "aliases": '"AA"'}, {"id": "b", "name": "Agence B", "aliases": '"aa"'}),
     r"sources.yaml:\d+: duplicate alias 'aa'"),
    (({"kind": "tabloid"},), r"sources.yaml:\d+: unknown kind 'tabloid'"),
    (({"reliability": "great"},), r"sources.yaml:\d+: unknown reliability 'great'"),
    (({"id": "a"}, {"id": "a", "name": "Autre"}), r"sources.yaml:\d+: duplicate id 'a'"),
])
def test_malformed_registry_names_the_line(tmp_path: Path, entries: tuple, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_registry(write_registry(tmp_path, *entries))


def only(text: str, **kwargs) -> list[tuple[str | None, str | None, str]]:
    return [(a.mention.text if a.mention else None, a.cue.text if a.cue else None, a.kind)
            for a in extract(text, REGISTRY, **kwargs)]


@pytest.mark.parametrize("sentence, expected", [
    ("Selon le ministère de la Défense, deux soldats ont été blessés.",
     [("le ministère de la Défense", "Selon", "official")]),
    ("D'après un proche du dossier, les négociations ont échoué.",
     [("un proche du dossier", "D'après", "anonymous_vague")]),
    ("Le conseil municipal a adopté le budget, a rapporté le Courrier de l'Aube.",
     [("le Courrier de l'Aube", "rapporté", "independent_media")]),
    ("« Nous ne céderons pas », a affirmé Korvan Info.", [("Korvan Info", "affirmé", "state_media")]),
    ("Source : Divers", [("Divers", "Source :", "anonymous_vague")]),
    ("Des experts estiment que ce vaccin est dangereux.", [("Des experts", "estiment", "anonymous_vague")]),
    ("Marie Dupont, épidémiologiste à l'Inserm, estime que le pic est passé.",
     [("Marie Dupont, épidémiologiste à l'Inserm", "estime", "expert_ngo")]),
    ("Il se dit que le ministre va démissionner.", [(None, "Il se dit que", "anonymous_vague")]),
    ("Une vidéo publiée sur TikTok affirme que le pont s'est effondré.",
     [("Une vidéo publiée sur TikTok", "affirme", "social_media")]),
])
def test_attributions(sentence: str, expected: list) -> None:
    assert only(sentence) == expected


@pytest.mark.parametrize("sentence, expected", [
    # a title before the name, an incise between subject and verb, an adverb inside the verb group
    ("Le préfet de la région, Anton Berzin, a demandé aux maires de fermer les écoles.",
     [("Le préfet de la région, Anton Berzin", "demandé", "official")]),
    ("L'association Terre vive, qui suit le dossier depuis 2019, a annoncé un recours.",
     [("L'association Terre vive", "annoncé", "expert_ngo")]),
    ("Le ministère de l'Intérieur a certes démenti toute arrestation.",
     [("Le ministère de l'Intérieur", "démenti", "official")]),
    ("La gendarmerie, interrogée, se contente de répéter que l'enquête suit son cours.",
     [("La gendarmerie", "répéter", "official")]),
    # clitic subject after the verb, tagger mistakes, relative before the verb
    ("« Nous irons jusqu'au bout », explique-t-elle.", [("elle", "explique", "anonymous_vague")]),
    ("Des banquiers confient d'ailleurs que la monnaie va chuter.",
     [("Des banquiers", "confient", "anonymous_vague")]),
    ("Des diplomates que nous avons rencontrés affirment que l'accord est prêt.",
     [("Des diplomates", "affirment", "anonymous_vague")]),
    ("Des parents s'inquiètent du manque d'enseignants.", [("Des parents", "inquiètent", "anonymous_vague")]),
    # locutions
    ("La police fait état de trois interpellations.", [("La police", "fait état", "official")]),
    ("Le maire laisse entendre qu'il ne se représentera pas.", [("Le maire", "laisse entendre", "official")]),
    # the publisher of figures is part of the source; an agent a few words after its participle
    ("Le chômage a reculé, selon les chiffres publiés lundi par l'Office valdorien de la statistique.",
     [("les chiffres publiés lundi par l'Office valdorien de la statistique", "selon", "official")]),
    ("La photo, publiée dès le 3 mai par le Courrier de l'Aube, montrait un autre pont.",
     [("le Courrier de l'Aube", "publiée", "independent_media")]),
    # inverted subject after a clause the parse gave no verb, not an object after the verb
    ("Le pays applique d'ailleurs un embargo sur le blé depuis mars 2024, a rappelé le ministère du Commerce.",
     [("le ministère du Commerce", "rappelé", "official")]),
    ("La ministre de la Santé, Vera Lind, a jugé cette hypothèse « peu probable ».",
     [("La ministre de la Santé, Vera Lind", "jugé", "official")]),
    # a named person's role decides before the institution
    ("Ivo Marsk, économiste en chef de la banque Orlen, estime que la hausse ralentira.",
     [("Ivo Marsk, économiste en chef de la banque Orlen", "estime", "expert_ngo")]),
    # two sources joined by "et", one institution with "et de"
    ("Des habitants et une association locale ont dénoncé des coupures répétées.",
     [("Des habitants", "dénoncé", "anonymous_vague"), ("une association locale", "dénoncé", "anonymous_vague")]),
    ("Le ministère de l'Économie et des Finances a indiqué que le budget serait revu.",
     [("Le ministère de l'Économie et des Finances", "indiqué", "official")]),
    # a second agent after "puis par", "comme le montre X", "l'un d'eux" after a quote
    ("La rumeur a été relayée par un compte X anonyme, puis par le site Korvan Info.",
     [("un compte X anonyme", "relayée par", "social_media"), ("le site Korvan Info", "relayée", "state_media")]),
    ("Le pont n'a jamais été fermé, comme le montre le registre de la préfecture.",
     [("le registre de la préfecture", "montre", "official")]),
    ("« Qui paie ces experts ? », interroge l'un d'eux.", [("l'un d'eux", "interroge", "anonymous_vague")]),
    ("« Les stocks sont pleins », rappelle Lina Morel, pharmacienne à l'hôpital de Brisk.",
     [("Lina Morel, pharmacienne à l'hôpital de Brisk", "rappelle", "expert_ngo")]),
    ("Le régulateur a pris sa décision, a confirmé à l'ACP la directrice adjointe, Maja Stern.",
     [("la directrice adjointe, Maja Stern", "confirmé", "other")]),
])
def test_attributions_harder_forms(sentence: str, expected: list) -> None:
    assert only(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "Nous ne disons pas qu'il y a corruption, nous posons simplement la question.",  # the author speaks
    "Rougeole : 47 cas confirmés à Montrevel, l'ARS lance une campagne",  # a participle, no one reports
    "Aucune victime n'est à déplorer dans la commune.",
    "Les deux projets avancent main dans la main.",  # "avancer" with nothing reported
    "Le conseil municipal a adopté mardi son budget 2024.",
    "Aucun blessé n'a été signalé dans la nuit.",  # passive, nothing said by anyone
    "La hausse des loyers, ce que la mairie n'a pas commenté, inquiète les étudiants.",  # negated: no statement
    "L'affirmation selon laquelle le pont serait fermé est fausse.",  # "selon laquelle" cites no one
    "Ces mesures rapporteraient 2 milliards de couronnes par an.",  # "rapporter" money
    "Les faits parlent d'eux-mêmes.",
    "Ceux qui réclament la fermeture des frontières oublient l'histoire du pays.",  # rhetorical, no source
])
def test_no_attribution(sentence: str) -> None:
    assert only(sentence) == []


def test_pronoun_takes_the_last_named_source_of_the_article() -> None:
    found = list(extract_article([
        "Le ministre de l'Intérieur, Casimir Noval, a déclaré que la frontière resterait fermée.",
        "« Nous ne céderons pas », a-t-il ajouté.",
    ], REGISTRY))
    pronoun = found[1][0]
    assert (pronoun.mention.text, pronoun.cue.text, pronoun.kind) == ("il", "ajouté", "official")
    assert pronoun.refers_to.startswith("Le ministre de l'Intérieur")


def test_a_pronoun_after_a_cue_takes_the_last_named_source() -> None:
    found = list(extract_article(["Le maire de Brenzia, Anton Bely, a dénoncé une erreur.",
                                  "Selon lui, la route restera fermée.", "D'après eux, rien ne change."], REGISTRY))
    assert [(a.mention.text, a.kind, a.refers_to, a.kind_by) for f in found[1:] for a in f] == [
        ("lui", "official", "Le maire de Brenzia, Anton Bely", "pronoun"),
        ("eux", "official", "Le maire de Brenzia, Anton Bely", "pronoun")]


def test_the_same_source_is_the_last_named_one() -> None:
    found = list(extract_article(["Le préfet de la région, Aurel Mandescu, a annoncé la fermeture du poste.",
                                  "Il rouvrira lundi, selon la même source."], REGISTRY))
    same = found[1][0]
    assert (same.mention.text, same.kind, same.refers_to, same.kind_by) == \
        ("la même source", "official", "Le préfet de la région, Aurel Mandescu", "pronoun")


def test_a_quote_continued_in_the_next_sentence_keeps_its_speaker() -> None:
    found = list(extract_article([
        "« Nous tiendrons », a déclaré la ministre de la Défense, Olga Brent.",
        "« Chaque village sera protégé. »",
        "Les combats ont repris dans la nuit.",
        "« Personne ne sait qui a tiré. »",  # the sentence before quotes no one
    ], REGISTRY))
    (continued,) = found[1]
    assert (continued.mention, continued.cue, continued.rule) == (None, None, "quote-continued")
    assert (continued.kind, continued.refers_to, continued.kind_by) == \
        ("official", "la ministre de la Défense, Olga Brent", "speaker")
    assert continued.content.text == "« Chaque village sera protégé. »"
    assert found[2] == [] and found[3] == []


def test_a_bare_name_takes_the_kind_learnt_from_its_description() -> None:
    found = list(extract_article([
        "La porte-parole du gouvernement, Ilona Vesk, a annoncé un plan d'urgence.",
        "Ilona Vesk a ajouté que les écoles resteraient ouvertes.",
    ], REGISTRY))
    assert [(a.mention.text, a.kind) for a in found[1]] == [("Ilona Vesk", "official")]


def test_kind_without_registry_comes_from_the_words() -> None:
    assert kind_of("la préfecture de Sorvik") == "official"
    assert kind_of("certains observateurs") == "anonymous_vague"
    assert kind_of("un compte X anonyme") == "social_media"
    assert kind_of("le syndicat des boulangers") == "other"


def pulled_row(sentence: str, *spans: tuple[str, str, str, str]) -> dict:
    """A row as `propa pull` writes it: (annotator, mention, kind, reliability) per source span."""
    annotations: dict[str, list] = {}
    for annotator, mention, kind, reliability in spans:
        start = sentence.index(mention)
        annotations.setdefault(annotator, []).append({
            "start": start, "end": start + len(mention), "text": mention, "label": "source", "kind": kind,
            "reliability": reliability})
    return {"id": sentence[:10], "text": sentence, "annotations": [
        {"annotator": a, "labels": [], "spans": s, "annotation_id": 0, "lead_time": 1.0}
        for a, s in annotations.items()]}


def test_suggestions_from_annotators() -> None:
    from annotate.sources.registry import suggest, suggestions_yaml

    rows = [
        pulled_row("Selon Radio Sévranie, tout va bien.", ("a@x", "Radio Sévranie", "state_media", "mixed"),
                   ("b@x", "Radio Sévranie", "state_media", "mixed")),  # registry says low
        pulled_row("Le Journal de Korst affirme le contraire.",
                   ("a@x", "Le Journal de Korst", "independent_media", "reliable")),  # not in the registry
        pulled_row("Selon l'ACP, le pont est coupé.", ("a@x", "l'ACP", "independent_media", "reliable")),  # agrees
        pulled_row("Selon des sources, rien.", ("a@x", "des sources", "anonymous_vague", "unknown")),  # vague
    ]
    found = {s.mention: s for s in suggest(rows, REGISTRY)}
    assert set(found) == {"Radio Sévranie", "Le Journal de Korst"}
    assert found["Radio Sévranie"].differs == ("reliability",) and found["Radio Sévranie"].annotators == 2
    assert found["Le Journal de Korst"].entry is None and found["Le Journal de Korst"].differs == ("new",)
    text = suggestions_yaml(list(found.values()))
    assert "radio-sevranie" in text and "registry low, annotators mixed" in text
    assert "id: journal-de-korst" in text and "kind: independent_media" in text
    # The snippet is one YAML list of entries, ready to go under `sources:`.
    import yaml

    entries = yaml.safe_load(text)
    assert {e["id"] for e in entries} == {"radio-sevranie", "journal-de-korst"}
    assert all(set(e) == {"id", "name", "kind", "reliability", "basis"} for e in entries)


@pytest.mark.parametrize("sentence, content", [
    ("« Nous ne céderons pas », a déclaré le ministre.", "« Nous ne céderons pas »"),
    ("« Jamais », a-t-il ajouté.", "« Jamais »"),
    ("Le ministère a indiqué que deux soldats avaient été blessés.", "deux soldats avaient été blessés"),
    ("Le président a déclaré : « Rien ne changera. »", "« Rien ne changera. »"),
    ("Selon des sources, l'armée avance vers le nord.", "l'armée avance vers le nord"),
    ("La production a progressé de 12 %, a annoncé le ministère.", "La production a progressé de 12 %"),
    ("Il se dit que le ministre va démissionner.", "le ministre va démissionner"),
])
def test_attributed_content(sentence: str, content: str) -> None:
    (attribution,) = extract(sentence, REGISTRY)
    assert attribution.content is not None and attribution.content.text == content
    assert sentence[attribution.content.start:attribution.content.end] == content


def test_self_citation_through_the_articles_outlet() -> None:
    from annotate.sources.attribution import Attributor

    attributor = Attributor(REGISTRY)
    found = attributor([
        ("a", "Selon nos informations, le ministre va démissionner.", "Le Courrier de l'Aube"),
        ("a", "Le Courrier de l'Aube a révélé mardi que le contrat était signé.", "Le Courrier de l'Aube"),
        ("a", "Le Quotidien valdorien affirme le contraire.", "Le Courrier de l'Aube"),
    ])
    flags = [[(a.mention.text, a.self_citation) for a in sentence] for sentence in found]
    assert flags == [[("nos informations", True)], [("Le Courrier de l'Aube", True)],
                     [("Le Quotidien valdorien", False)]]
    assert found[0][0].kind == "anonymous_vague"  # self-cited, still not checkable by the reader


def tagged(text: str, *mentions: str) -> list[tuple[int, int]]:
    return [(text.index(m), text.index(m) + len(m)) for m in mentions]


def test_a_taggers_span_is_added_only_where_no_rule_found_a_source() -> None:
    from annotate.sources.attribution import ArticleState, extract_parsed, french_pipeline

    nlp = french_pipeline()
    text = "Le collectif Vigie Santé attribue cette hausse à la fermeture des urgences."
    found = extract_parsed(text, nlp(text), REGISTRY, ArticleState(), tagged=tagged(text, "Le collectif Vigie Santé"))
    assert [(a.mention.text, a.rule, a.cue) for a in found] == [("Le collectif Vigie Santé", "tagger", None)]
    assert found[0].kind_by == "rules" and found[0].kind in ("expert_ngo", "other")
    # what the rules found is not added twice
    text = "Le pont est fermé, a indiqué le ministère."
    found = extract_parsed(text, nlp(text), REGISTRY, ArticleState(), tagged=tagged(text, "le ministère"))
    assert [(a.mention.text, a.rule) for a in found] == [("le ministère", "inverted")]


def test_a_tagged_span_inside_what_is_said_is_not_a_source() -> None:
    from annotate.sources.attribution import ArticleState, extract_parsed, french_pipeline

    nlp = french_pipeline()
    text = "Le ministère affirme que le collectif Vigie Santé ment, et « les experts » aussi."
    found = extract_parsed(text, nlp(text), REGISTRY, ArticleState(),
                           tagged=tagged(text, "le collectif Vigie Santé", "les experts"))
    assert [(a.mention.text, a.rule) for a in found] == [("Le ministère", "subject")]


def test_a_tagged_pronoun_refers_to_the_articles_last_named_source() -> None:
    from annotate.sources.attribution import ArticleState, extract_parsed, french_pipeline

    nlp = french_pipeline()
    state = ArticleState()
    first = "Selon la préfecture de Hessal, la route est coupée."
    extract_parsed(first, nlp(first), REGISTRY, state)
    text = "Elle envisage une réouverture lundi."
    found = extract_parsed(text, nlp(text), REGISTRY, state, tagged=tagged(text, "Elle"))
    assert [(a.mention.text, a.rule, a.refers_to, a.kind) for a in found] == \
        [("Elle", "tagger", "la préfecture de Hessal", "official")]


def test_a_source_line_takes_no_tagged_span() -> None:
    from annotate.sources.attribution import ArticleState, extract_parsed, french_pipeline

    text = "Source : Divers"
    found = extract_parsed(text, french_pipeline()(text), REGISTRY, ArticleState(), tagged=[(0, 6)])
    assert [a.rule for a in found] == ["source-line"]
