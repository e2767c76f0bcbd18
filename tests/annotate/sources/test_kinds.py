"""The learned source-kind model: trained from labelled mentions, used only where neither the
registry nor a pronoun decides the kind."""

from __future__ import annotations

import pytest

from annotate.sources.attribution import extract_article
from annotate.errors import InputError
from annotate.sources.kinds import KindModel, default_kind_model, gold_examples, kind_model, GOLD
from annotate.sources.registry import load_registry

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
    group, director = found[1]
    assert group.kind_by == "model"
    # "sa directrice": the kind of the company she speaks for, whatever the model would say
    assert (director.mention.text, director.kind, director.kind_by) == \
        ("sa directrice, Ana Holm", group.kind, "article")
    pronoun = found[2][0]
    assert pronoun.kind_by == "pronoun" and pronoun.refers_to


def test_annotators_typed_spans_teach_the_model(tmp_path) -> None:
    import json

    from annotate.sources.kinds import annotated_examples

    # What `propa pull` writes: each annotator's source spans with the kind they chose.
    rows = [{"id": f"a:{i}", "text": f"La coopérative Brenna n{i} a répondu.", "annotations": [
        {"annotator": "a@x", "labels": [], "spans": [
            {"start": 0, "end": 21, "text": f"La coopérative Brenna n{i}", "label": "source", "kind": "expert_ngo",
             "reliability": "unknown"},
            {"start": 0, "end": 2, "text": "La", "label": "cue"}]}]} for i in range(30)]
    pulled = tmp_path / "annotations.jsonl"
    pulled.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    examples = annotated_examples(tmp_path)  # the folder works as well as the file
    assert len(examples) == 30 and set(k for _, k in examples) == {"expert_ngo"}
    model = kind_model("learned", [pulled])
    assert model is not default_kind_model() and str(pulled) in model.source
    assert model.predict("la coopérative Brenna", "other") == "expert_ngo"


def test_kinds_from_bad_input_is_one_clear_error(tmp_path) -> None:
    (tmp_path / "x.jsonl").write_text('{"id": 1, "text": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="x.jsonl:1: neither a row of `propa pull`"):
        kind_model("learned", [tmp_path / "x.jsonl"])
    with pytest.raises(InputError, match="no such file"):
        kind_model("learned", [tmp_path / "missing.jsonl"])
    with pytest.raises(InputError, match="--kinds-from needs --kinds learned"):
        kind_model("rules", [tmp_path / "x.jsonl"])


def test_the_kind_model_is_part_of_the_sources_model_version() -> None:
    from train.predictor import sources_version

    examples = [("le groupe Valmet", "other"), ("le ministère de l'Eau", "official")] * 3
    versions = {sources_version(REGISTRY), sources_version(REGISTRY, default_kind_model()),
                sources_version(REGISTRY, KindModel.train(examples))}
    assert len(versions) == 3  # rules alone, the gold-set model, a model trained on other examples
    assert sources_version(REGISTRY, default_kind_model()) == sources_version(REGISTRY, default_kind_model())


def test_the_model_neither_makes_nor_unmakes_state_media() -> None:
    # Trained on the state outlets the gold articles name, it would call any medium a state one;
    # who directs a newsroom is for the registry or the mention's own words to say.
    model = default_kind_model()
    for mention in ("la radio locale", "l'hebdomadaire satirique", "la chaîne privée Kanal 3"):
        assert model.predict(mention, "independent_media") == "independent_media", mention
    assert model.predict("la télévision d'État", "state_media") == "state_media"
