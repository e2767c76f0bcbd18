"""The learned source-kind model: trained from labelled mentions, used only where neither the
registry nor a pronoun decides the kind."""

from __future__ import annotations

import pytest

from annotate.attribution import extract_article
from annotate.errors import InputError
from annotate.kinds import KindModel, default_kind_model, gold_examples, kind_model, GOLD
from annotate.sources import load_registry

REGISTRY = load_registry()


def test_trained_on_mentions_it_learns_their_kinds() -> None:
    examples = [("le groupe Valmet", "other"), ("la société Orvia", "other"), ("l'entreprise Kessel", "other"),
                ("le ministère de l'Eau", "official"), ("la préfecture de Tarn", "official"),
                ("le ministère des Mines", "official")] * 3
    model = KindModel.train(examples)
    assert model.predict("le groupe Orvia", "other") == "other"
    assert model.predict("le ministère de la Pêche", "official") == "official"


def test_one_kind_is_not_enough_to_learn() -> None:
    with pytest.raises(InputError, match="at least two kinds"):
        KindModel.train([("le ministère", "official")] * 5)


def test_choices() -> None:
    assert kind_model("rules") is None
    assert kind_model("learned") is default_kind_model()
    with pytest.raises(InputError, match="--kinds"):
        kind_model("guess")


def test_default_model_learns_from_the_development_gold_only() -> None:
    examples = gold_examples(GOLD)
    assert len(examples) > 300 and not any(m.lower() in ("il", "elle", "on") for m, _ in examples)
    assert "heldout" not in str(default_kind_model().source)


def test_model_never_overrides_the_registry_nor_a_pronoun() -> None:
    model = default_kind_model()
    found = list(extract_article([
        "Selon Korvan Info, la frontière est fermée.",  # registered: state media, whatever the model says
        "Le groupe minier Dravik a annoncé la fermeture du site, a précisé sa directrice, Ana Holm.",
        "« Nous n'avions pas le choix », a-t-elle ajouté.",
    ], REGISTRY, model))
    korvan = found[0][0]
    assert (korvan.kind, korvan.kind_by) == ("state_media", "registry")
    assert {a.kind_by for a in found[1]} == {"model"}
    pronoun = found[2][0]
    assert pronoun.kind_by == "pronoun" and pronoun.refers_to
