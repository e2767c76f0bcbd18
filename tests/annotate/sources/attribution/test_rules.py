"""Each attribution rule alone, on French sentences written for it: what it finds, and a
sentence it must leave alone. The rules run on the real parse of fr_core_news_sm."""

from __future__ import annotations

from typing import Callable

import pytest

from annotate.sources.attribution import LABELS, RULES, ArticleState, ParsedSentence, Rule
from annotate.sources.attribution.rules import (agent, agentless, opinion, preposition, reporting_verb,
                                                source_line)

Found = tuple[str | None, str, str, str]  # mention, cue, kind, label


def run(rule: Rule, sentence: ParsedSentence) -> list[Found]:
    return [(a.mention.text if a.mention else None, a.cue.text, a.kind, a.rule) for a in rule(sentence)]


@pytest.mark.parametrize("rule, sentence, expected", [
    (source_line, "Source : ministère de la Défense, sources militaires",
     [("ministère de la Défense", "Source :", "official", "source-line"),
      ("sources militaires", "Source :", "anonymous_vague", "source-line")]),
    (agentless, "Il se dit que le ministre va démissionner.",
     [(None, "Il se dit que", "anonymous_vague", "agentless")]),
    (agentless, "Le ministre va démissionner, a-t-on appris.",  # the "on" is the mention (corpus/gold/GUIDE.md)
     [("on", "a-t-on appris", "anonymous_vague", "agentless")]),
    (agentless, "On dit que le ministre va démissionner.",
     [("On", "On dit que", "anonymous_vague", "agentless")]),
    (preposition, "Selon le ministère de la Défense, deux soldats ont été blessés.",
     [("le ministère de la Défense", "Selon", "official", "preposition")]),
    (preposition, "Le chômage a reculé, selon les chiffres publiés lundi par l'Office valdorien de la statistique.",
     [("les chiffres publiés lundi par l'Office valdorien de la statistique", "selon", "official", "preposition")]),
    (preposition, "Le ministre va démissionner, de source sûre.",
     [("source sûre", "de source", "anonymous_vague", "preposition")]),
    (opinion, "Pour Nadia Ferhat, sociologue à l'université de Belmara, la réforme échouera.",
     [("Nadia Ferhat, sociologue à l'université de Belmara", "Pour", "expert_ngo", "opinion")]),
    (agent, "La photo, publiée dès le 3 mai par le Courrier de l'Aube, montrait un autre pont.",
     [("le Courrier de l'Aube", "publiée", "independent_media", "agent")]),
    (reporting_verb, "Le ministère a indiqué que deux soldats avaient été blessés.",
     [("Le ministère", "indiqué", "official", "subject")]),
    (reporting_verb, "« Nous ne céderons pas », a affirmé Korvan Info.",
     [("Korvan Info", "affirmé", "state_media", "inverted")]),
    (reporting_verb, "Des habitants et une association locale ont dénoncé des coupures répétées.",
     [("Des habitants", "dénoncé", "anonymous_vague", "subject"),
      ("une association locale", "dénoncé", "anonymous_vague", "subject")]),
])
def test_a_rule_finds_its_attributions(parse: Callable[..., ParsedSentence], rule: Rule, sentence: str,
                                       expected: list[Found]) -> None:
    assert run(rule, parse(sentence)) == expected


@pytest.mark.parametrize("rule, sentence", [
    (source_line, "La source du fleuve est tarie."),
    (agentless, "Il a dit que le pont était fermé."),  # someone said it: the reporting verb's, not agentless
    (preposition, "L'affirmation selon laquelle le pont serait fermé est fausse."),  # "selon laquelle" cites no one
    (opinion, "Pour l'instant, rien n'est décidé."),
    (agent, "Le pont a été fermé par précaution."),  # "par" without an agent
    (agent, "Il voyage par le train de nuit."),  # an agent, but of no verb of publishing or saying
    (reporting_verb, "Aucun blessé n'a été signalé dans la nuit."),  # passive: nobody reports
    (reporting_verb, "Les deux projets avancent main dans la main."),  # "avancer" with nothing reported
])
def test_a_rule_leaves_alone_what_is_not_its_own(parse: Callable[..., ParsedSentence], rule: Rule,
                                                 sentence: str) -> None:
    assert run(rule, parse(sentence)) == []


def test_a_pronoun_glued_to_the_verb_takes_the_state_of_the_article(parse: Callable[..., ParsedSentence]) -> None:
    alone = run(reporting_verb, parse("« Jamais », a-t-il ajouté."))
    assert alone == [("il", "ajouté", "anonymous_vague", "inverted")]  # nothing named before: no one to refer to
    state = ArticleState()
    list(reporting_verb(parse("Le ministre de l'Intérieur a déclaré que la frontière resterait fermée.", state)))
    (pronoun,) = reporting_verb(parse("« Jamais », a-t-il ajouté.", state))
    assert (pronoun.kind, pronoun.refers_to) == ("official", "Le ministre de l'Intérieur")


def test_the_rules_run_in_one_order_and_each_says_what_it_labels() -> None:
    assert [rule.__name__ for rule in RULES] == ["source_line", "agentless", "preposition", "opinion", "agent",
                                                 "reporting_verb"]
    assert set(LABELS) == set(RULES)
    labels = [label for rule in RULES for label in LABELS[rule]]
    assert len(labels) == len(set(labels))


# -- what every rule's mention must be: a speaker (rules.as_speaker) ---------------------------

def mention_of(parse, text: str, mention: str, rule: str = "subject") -> str | None:
    from annotate.sources.attribution import Attribution
    from annotate.sources.attribution.rules import as_speaker
    from annotate.text.segment import Span

    start = text.index(mention)
    found = as_speaker(parse(text), Attribution(Span(start, start + len(mention), mention), None, "official", rule))
    return None if found is None else found.mention.text


@pytest.mark.parametrize("text, mention, expected", [
    # a clause inside the mention is cut off
    ("L'ARS a démenti cette rumeur dans un communiqué.", "L'ARS a démenti cette rumeur dans un communiqué", "L'ARS"),
    ("Des médecins que nous avons contactés confirment la pénurie.", "Des médecins que nous avons contactés",
     "Des médecins"),
    ("Korvan Info est allé plus loin en accusant Valdor.", "Korvan Info est allé plus loin", "Korvan Info"),
    # a name, with its description, or with a word the small model tags as a verb, is kept whole
    ("La Cour des comptes valdorienne juge la dépense excessive.", "La Cour des comptes valdorienne",
     "La Cour des comptes valdorienne"),
    ("Ilse Marquant, coordinatrice de l'organisation dans la région, a démenti.",
     "Ilse Marquant, coordinatrice de l'organisation dans la région",
     "Ilse Marquant, coordinatrice de l'organisation dans la région"),
    # an event is what happened, not who speaks
    ("L'opération de l'armée pour reprendre la ville, menée avec l'appui de l'aviation, a révélé l'ampleur des "
     "stocks.", "L'opération de l'armée pour reprendre la ville, menée avec l'appui de l'aviation", None),
    ("Les livraisons de machines-outils ont diminué de 11 %.", "Les livraisons de machines-outils", None),
])
def test_a_mention_is_cut_to_the_speaker(parse, text: str, mention: str, expected: str | None) -> None:
    assert mention_of(parse, text, mention) == expected


def test_a_mention_too_long_to_be_a_name_is_refused(parse) -> None:
    text = ("Le comité de suivi des engagements de la région en faveur de la transition des vallées industrielles "
            "du nord et du sud a indiqué mardi que le plan était tenu.")
    long = text[:text.index(" a indiqué")]
    assert mention_of(parse, text, long) is None
    assert mention_of(parse, "Selon des sources, oui.", "des sources", rule="preposition") == "des sources"
