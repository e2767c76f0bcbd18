"""Cue rules: the shipped configs/cues.yaml (what fires, what must not) and the engine
(annotate/cues.py: normalisation, offsets, validation of the file, merging, whole words)."""

from pathlib import Path

import pytest

from annotate.cues import CueHit, Cues, find_cues, load_cues, normalise
from annotate.errors import InputError
from annotate.taxonomy import Taxonomy, load_taxonomy

SOURCING = {"unsupported_allegation", "speculative_link", "vague_sourcing"}
NBSP, NNBSP = "\u00a0", "\u202f"  # the non-breaking spaces French typography puts before ? : ; and inside « »


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="module")
def cues(taxonomy: Taxonomy) -> Cues:
    return load_cues(taxonomy)


def hits_of(text: str, cues: Cues, technique: str) -> list[CueHit]:
    return [hit for hit in find_cues(text, cues) if hit.technique == technique]


# --------------------------------------------------------------------- the shipped file

def test_shipped_cues_cover_the_three_sourcing_techniques(cues, taxonomy):
    assert cues.techniques == SOURCING
    assert all(t in taxonomy.technique_by_id for t in cues.techniques)
    names = [rule.name for rule in cues.rules]
    assert len(names) == len(set(names))
    for technique in SOURCING:
        numbers = [int(r.name.split("/")[1]) for r in cues.rules if r.technique == technique]
        assert numbers == list(range(1, len(numbers) + 1))


# (sentence, the expected hit: a substring of the ORIGINAL sentence, accents, ’ and
# non-breaking spaces included). Written for these tests.
POSITIVES = {
    "speculative_link": [
        ("Comme par hasard, l’enquête a été classée une semaine avant les élections.", "Comme par hasard"),
        ("Cette complicité pourrait très bien être liée aux contrats signés l’an dernier.",
         "pourrait très bien être liée aux"),
        ("Tout porte à croire que cet incendie arrangeait certains promoteurs.", "Tout porte à croire"),
        (f"Est-ce une coïncidence si le témoin clé a quitté le pays{NBSP}?", "Est-ce une coïncidence"),
        ("On ne peut s’empêcher de faire le rapprochement avec la visite du ministre.",
         "On ne peut s’empêcher de faire le rapprochement"),
        ("Curieusement, personne ne s’intéresse au financement de cette association.", "Curieusement"),
        ("CE N’EST SANS DOUTE PAS UN HASARD SI le contrat a été signé la veille.", "CE N’EST SANS DOUTE PAS UN HASARD"),
        ("Le directeur a démissionné la veille du contrôle : étrange coïncidence.", "étrange coïncidence"),
        (f"«{NBSP}Faut-il y voir la main de Moscou{NBSP}?{NBSP}», s’interroge le blogueur.", "Faut-il y voir"),
        ("Il est difficile de ne pas faire le lien avec les subventions versées en mars.",
         "difficile de ne pas faire le lien"),
        ("Il n’est pas interdit de penser que ce rachat arrangeait le président.", "Il n’est pas interdit de penser"),
        (f"Ce départ précipité serait{NBSP}lié à l’enquête en cours.", f"serait{NBSP}lié à"),
        ("Le témoin serait-il lié à la famille du maire ?", "serait-il lié à"),
        (f"Simple coïncidence{NNBSP}? Le fils du maire a été embauché par le promoteur.",
         f"Simple coïncidence{NNBSP}?"),
        ("Et, par le plus grand des hasards, le marché est revenu à son beau-frère.", "par le plus grand des hasards"),
        ("Il est tout de même curieux que l’actionnaire soit un ancien conseiller du ministre.",
         "Il est tout de même curieux que"),
    ],
    "vague_sourcing": [
        ("Source : Divers.", "Source : Divers"),
        (f"Sources{NBSP}: internet", f"Sources{NBSP}: internet"),
        ("Selon des sources, l’armée préparerait une offensive.", "Selon des sources"),
        ("Nous avons appris de source sûre que le président est gravement malade.", "de source sûre"),
        ("Un proche du dossier affirme que les négociations ont échoué.", "proche du dossier"),
        ("Des experts estiment que ce vaccin est dangereux.", "Des experts estiment"),
        ("Des observateurs bien informés assurent que les chiffres ont été truqués.",
         "Des observateurs bien informés assurent"),
        ("D’après nos informations, le contrat a été signé en secret.", "D’après nos informations"),
        ("Il se dit que le ministre pourrait démissionner avant l’été.", "Il se dit que"),
        (f"Le sommet serait annulé, selon{NBSP}des sources concordantes.", f"selon{NBSP}des sources concordantes"),
        ("Selon des sources sur place, les missiles ont été tirés de nuit.", "Selon des sources sur place"),
        ("Des témoins anonymes décrivent des scènes de pillage.", "témoins anonymes"),
        ("SELON CERTAINS, la réforme serait déjà enterrée.", "SELON CERTAINS"),
        ("Beaucoup de gens disent que l’eau du robinet est contaminée.", "Beaucoup de gens disent"),
        ("Le dirigeant serait, paraît-il, déjà en fuite.", "paraît-il"),
        (f"«{NBSP}On apprend de bonne source que le préfet sera muté{NBSP}», écrit le blog.", "de bonne source"),
        ("Un cadre, qui a souhaité garder l’anonymat, dénonce des fraudes.", "souhaité garder l’anonymat"),
    ],
    "unsupported_allegation": [
        ("Le ministre a détourné des millions, tout le monde le sait.", "tout le monde le sait"),
        ("Nous disposons de preuves accablantes que nous publierons le moment venu.",
         "Nous disposons de preuves accablantes que nous publierons le moment venu"),
        ("Il est désormais établi que ce laboratoire fabrique des armes biologiques.", "Il est désormais établi que"),
        ("Les documents existent, mais nous ne pouvons pas les montrer.",
         "Les documents existent, mais nous ne pouvons pas les montrer"),
        ("J’ai les preuves de ce que j’avance.", "J’ai les preuves"),
        ("Chacun sait que ce juge est acheté.", "Chacun sait que"),
        ("Nul n’ignore que le maire a truqué le scrutin.", "Nul n’ignore que"),
        ("C’est un secret de polichinelle : la directrice touche des pots-de-vin.", "secret de polichinelle"),
        ("Le moment venu, nous rendrons publiques les preuves de cette trahison.",
         "Le moment venu, nous rendrons publiques les preuves"),
        ("IL EST PROUVÉ QUE ce vaccin modifie l’ADN.", "IL EST PROUVÉ QUE"),
        ("Il est de notoriété publique que le sénateur est payé par une puissance étrangère.", "de notoriété publique"),
        ("Le scrutin a été truqué de bout en bout, cela ne fait plus aucun doute.", "cela ne fait plus aucun doute"),
        (f"«{NBSP}Les preuves existent bel et bien{NBSP}», martèle le porte-parole.",
         "Les preuves existent bel et bien"),
        ("Le préfet couvre ces trafics, c’est un fait.", "c’est un fait"),
    ],
}

# (sentence, why it is NOT the technique). Each must give no hit of that technique.
NEGATIVES = {
    "speculative_link": [
        ("Il l’a rencontré par hasard dans un café de la gare.", "'par hasard' in its literal sense"),
        ("Les causes de l’incendie restent inconnues ; une enquête a été ouverte.", "honest uncertainty"),
        ("Le retard des trains est lié à la météo, selon la SNCF.", "a stated causal link, with its source"),
        ("La panne serait liée à la chaleur, selon Enedis.", "a hypothesis attributed to a named source"),
        ("Tout porte à croire qu’il s’agit d’un accident, estiment les pompiers.",
         "the inference belongs to a named source, not to the text"),
        ("Ce n’est pas un hasard si la Bretagne est la première région laitière : son climat doux favorise l’herbe.",
         "the explanatory 'ce n'est pas un hasard si', followed by the explanation"),
        ("Il était curieusement habillé pour un enterrement.", "'curieusement' as a plain adverb of manner"),
        ("L’incident pourrait être lié à une surchauffe des batteries.", "plain conditional: an honest hypothesis"),
        ("Les enquêteurs étudient plusieurs hypothèses, dont un accident et un acte criminel.",
         "balanced hypotheses, no insinuation"),
        ("Le hasard a voulu qu’ils se retrouvent dans le même train.", "chance told as chance"),
        ("Ce tirage au sort est le fruit du hasard.", "chance asserted, not questioned"),
    ],
    "vague_sourcing": [
        ("Selon le ministère de l’Intérieur, 3 000 personnes ont manifesté à Paris.", "a named institution"),
        ("D’après l’Insee, le chômage a reculé de 0,2 point au dernier trimestre.", "a named institution"),
        # Decision: anonymous sources characterised by their institution and carried by a
        # named agency are the ordinary attribution of a wire story; the reader can weigh
        # them (and the agency answers for them). The rule keeps to sources that nothing
        # identifies ("des sources", "des sources bien informées"); annotators judge the rest.
        ("Selon des sources policières citées par l’AFP, deux suspects ont été interpellés.",
         "institutional anonymous source relayed by a named agency"),
        ("La source de la Seine se trouve sur le plateau de Langres.", "'source' as a spring"),
        ("Le solaire et l’éolien sont des sources d’énergie renouvelables.", "'sources' of energy"),
        ("Certains experts de l’Inserm, dont la professeure Anne Morel, estiment que le pic est passé.",
         "experts identified by institution and name"),
        ("Selon certains experts de l’Inserm, dont la professeure Anne Morel, le pic est passé.",
         "experts identified by institution and name"),
        ("Il se dit prêt à négocier avec les syndicats.", "'il se dit prêt' = he says he is ready"),
        ("Un proche de la victime a déposé une gerbe devant la mairie.", "a relative, not a source"),
        # Decision: "Sources : agences" is the standard credit line of wire copy (AFP,
        # Reuters, AP), a known category of sources, unlike "Source : divers".
        ("Sources : agences.", "the standard credit line of wire copy"),
        ("Sources : AFP, Reuters.", "named agencies"),
        ("Ce placement est une source sûre de revenus.", "'source sûre' of income"),
        ("Les légumineuses sont de bonnes sources de protéines.", "'bonnes sources' of protein"),
        ("Marie Dupont, épidémiologiste à l’Inserm, estime que le pic de l’épidémie est passé.", "a named expert"),
        ("Un fonctionnaire, qui a requis l’anonymat car il n’est pas autorisé à s’exprimer, confirme la fermeture.",
         "anonymity with its reason given"),
        ("Quand on dit que le lac est sec, cela ne veut pas dire qu’il est vide, précise l’hydrologue.",
         "generic 'on dit', no hearsay"),
    ],
    "unsupported_allegation": [
        ("L’opposition accuse le gouvernement de corruption, ce que celui-ci dément.",
         "an accusation reported and attributed, with the denial"),
        ("Le rapport de la Cour des comptes, publié en ligne, relève 40 millions d’euros de dépenses injustifiées.",
         "the evidence is named and can be read"),
        ("Nous ne disposons d’aucune preuve à ce stade, reconnaît le procureur.", "no evidence claimed"),
        ("Nous n’avons pas de preuves de ce que nous avançons.", "no evidence claimed"),
        ("Les preuves existent-elles ? Le parquet n’a rien transmis.", "a question about the evidence"),
        ("Nous disposons de preuves, que nous publions ci-dessous.", "the evidence is shown"),
        ("Si nous avons des preuves, nous porterons plainte.", "a hypothesis"),
        ("Tout le monde sait ce qu’il a à faire.", "'tout le monde sait' without a claim"),
        ("Selon une étude de l’Inserm publiée en 2020, il est établi que le tabac favorise ce cancer.",
         "'il est établi' with its source"),
        ("Nous annoncerons la liste de nos candidats le moment venu.", "'le moment venu' without evidence"),
        ("Je pense que cette réforme est une erreur.", "an opinion given as such"),
        ("Les vidéos publiées par le parquet montrent la scène, cela ne fait aucun doute.",
         "certainty backed by published evidence"),
        ("Le tribunal correctionnel de Lyon a condamné l’ancien maire pour détournement de fonds le 12 mars.",
         "a named court decision"),
    ],
}


@pytest.mark.parametrize(("technique", "sentence", "expected"),
                         [(t, s, e) for t, cases in POSITIVES.items() for s, e in cases])
def test_cue_fires_with_exact_offsets(cues, technique, sentence, expected):
    hits = hits_of(sentence, cues, technique)
    assert [hit.text for hit in hits] == [expected]
    hit = hits[0]
    assert sentence[hit.start:hit.end] == expected
    assert hit.start == sentence.index(expected)
    assert hit.rule.startswith(f"{technique}/")


@pytest.mark.parametrize(("technique", "sentence", "why"),
                         [(t, s, w) for t, cases in NEGATIVES.items() for s, w in cases])
def test_hard_negative_does_not_fire(cues, technique, sentence, why):
    assert hits_of(sentence, cues, technique) == [], why


def test_enough_cases_per_technique():
    for technique in SOURCING:
        assert len(POSITIVES[technique]) >= 8 and len(NEGATIVES[technique]) >= 6


# Bare assertions with no marker at all: out of reach of patterns, left to the model.
TAXONOMY_EXAMPLES_NOT_CAUGHT = {
    "Ce journaliste est payé par une puissance étrangère.",
    "Des milliers de bulletins ont été falsifiés lors du scrutin.",
}


def test_taxonomy_examples(cues, taxonomy):
    """The cue examples of the taxonomy fire (but for bare assertions); its counter-examples
    (without the explanation in brackets) do not."""
    for technique in SOURCING:
        entry = taxonomy.technique_by_id[technique]
        for example in entry.cues:
            fired = bool(hits_of(example, cues, technique))
            assert fired != (example in TAXONOMY_EXAMPLES_NOT_CAUGHT), example
        for counter in entry.counter_examples:
            sentence = counter.rsplit(" (", 1)[0]
            assert hits_of(sentence, cues, technique) == [], sentence


# ------------------------------------------------------------------------- the engine

def test_normalise_maps_every_character_back():
    assert normalise("Œuvre") == ("oeuvre", [0, 0, 1, 2, 3, 4])
    text = f"L’État{NBSP}«{NNBSP}déjà{NNBSP}»"
    folded, origin = normalise(text)
    assert folded == "l'etat \" deja \""
    assert len(origin) == len(folded)
    assert [text[i] for i in origin][:6] == list("L’État")


def write_cues(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cues.yaml"
    path.write_text("version: 1\ncues:\n" + body, encoding="utf-8")
    return path


def test_offsets_after_a_ligature_and_a_typographic_apostrophe(tmp_path, taxonomy):
    path = write_cues(tmp_path, '  - technique: speculative_link\n    patterns: ["oeuvre d\'art (a|au) hasard"]\n')
    text = "Voilà une Œuvre d’art au hasard."
    [hit] = find_cues(text, load_cues(taxonomy, path))
    assert (hit.start, hit.end, hit.text) == (10, 31, "Œuvre d’art au hasard")


@pytest.mark.parametrize(("pattern", "normalised"), [
    ("Comme par hasard", "comme par hasard"),
    ("étrange coïncidence", "etrange coincidence"),
    ("d’après nos informations", "d'apres nos informations"),
    ("sœur du ministre", "soeur du ministre"),
])
def test_pattern_not_in_normalised_form_is_refused(tmp_path, taxonomy, pattern, normalised):
    path = write_cues(tmp_path, f'  - technique: speculative_link\n    patterns:\n      - "{pattern}"\n')
    with pytest.raises(InputError) as err:
        load_cues(taxonomy, path)
    assert f"{path}:4:" in str(err.value)  # line 4: the 'patterns' key
    assert "normalised form" in str(err.value) and repr(normalised) in str(err.value)


@pytest.mark.parametrize("entries, message, line", [
    ('  - technique: vague_sourcing\n    patterns:\n      - "selon (des sources"\n',
     "not a valid regular expression", 4),
    ('  - technique: vague_sourcing\n    patterns: ["des sources"]\n    unless:\n      - "selon [le"\n',
     "not a valid regular expression", 5),
    ('  - technique: sourcage_vague\n    patterns: ["des sources"]\n', "technique 'sourcage_vague' is not in", 3),
    ('  - technique: vague_sourcing\n    patterns: ["des sources"]\n    sauf: ["x"]\n', "unknown key 'sauf'", 5),
], ids=["invalid regex", "invalid unless regex", "unknown technique", "unknown key"])
def test_bad_entries_are_refused_naming_the_line(tmp_path, taxonomy, entries, message, line):
    path = write_cues(tmp_path, entries)
    with pytest.raises(InputError, match=message) as err:
        load_cues(taxonomy, path)
    assert f"{path}:{line}:" in str(err.value)


def test_patterns_must_be_a_list(tmp_path, taxonomy):
    path = write_cues(tmp_path, '  - technique: vague_sourcing\n    patterns: "des sources"\n')
    with pytest.raises(InputError, match="must be lists"):
        load_cues(taxonomy, path)


def test_overlapping_hits_of_one_technique_are_merged(tmp_path, taxonomy):
    path = write_cues(tmp_path, '  - technique: speculative_link\n    patterns: ["comme par", "par hasard"]\n'
                                '  - technique: vague_sourcing\n    patterns: ["hasard"]\n')
    hits = find_cues("Et, comme par hasard, rien.", load_cues(taxonomy, path))
    assert [(h.technique, h.text, h.rule) for h in hits] == [
        ("speculative_link", "comme par hasard", "speculative_link/1"),
        ("vague_sourcing", "hasard", "vague_sourcing/1"),  # another technique: kept apart
    ]


def test_patterns_match_whole_words_and_any_white_space(tmp_path, taxonomy):
    path = write_cues(tmp_path, '  - technique: speculative_link\n    patterns: ["hasard", "par hasard"]\n')
    loaded = load_cues(taxonomy, path)
    assert find_cues("Un choix hasardeux, des hasards.", loaded) == []
    [hit] = find_cues(f"Venu par{NBSP}\n hasard.", loaded)
    assert hit.text == f"par{NBSP}\n hasard"


def test_unless_only_drops_the_hits_of_its_own_entry(tmp_path, taxonomy):
    path = write_cues(tmp_path, '  - technique: vague_sourcing\n    patterns: ["des sources"]\n'
                                '    unless: ["policieres"]\n'
                                '  - technique: vague_sourcing\n    patterns: ["on dit"]\n')
    loaded = load_cues(taxonomy, path)
    assert [h.text for h in find_cues("On dit, selon des sources, que oui.", loaded)] == ["On dit", "des sources"]
    assert [h.text for h in find_cues("On dit, selon des sources policières, que oui.", loaded)] == ["On dit"]


def test_top_level_alternation_matches_whole_words(tmp_path, taxonomy):
    path = write_cues(tmp_path, '  - technique: speculative_link\n    patterns: ["hasard|coincidence"]\n')
    assert find_cues("Un choix hasardeux.", load_cues(taxonomy, path)) == []


def test_technique_that_is_not_a_string_is_refused(tmp_path, taxonomy):
    path = write_cues(tmp_path, '  - technique: [vague_sourcing]\n    patterns: ["des sources"]\n')
    with pytest.raises(InputError):
        load_cues(taxonomy, path)
