"""Inputs -> view records: predictions and pulled annotations read into articles, checked against the
taxonomy and INPUT's text, with one error naming the input for anything that does not fit."""

from __future__ import annotations

import copy

import pytest

from annotate.errors import InputError
from annotate.report.views import (annotated_articles, by_article, modelled_articles, page_name,
                                   predicted_articles)
from annotate.sources.registry import load_registry
from annotate.text.corpus import read_sentences
from tests.report.builders import GOLD, TAXONOMY, VERSION, gold_rows, predictions, sentences

REGISTRY = load_registry(None, TAXONOMY)


def one_article(preds=None, source="p.jsonl"):
    articles = list(predicted_articles(sentences(), preds if preds is not None else predictions(), TAXONOMY, source,
                                       REGISTRY))
    assert len(articles) == 1
    return articles[0]


def test_predictions_become_marks_with_their_origin_and_score() -> None:
    article = one_article()
    assert (article.id, article.outlet, article.date, article.month) == ("a1", "Agence X", "2026-02-17", "2026-02")
    assert article.model_version == VERSION and article.origin == "predictions" and article.has_sources
    first = article.sentences[1]
    assert [(m.technique, m.origin, m.score) for m in first.techniques] == [
        ("unsupported_allegation", "model", 0.91), ("vague_sourcing", "model", pytest.approx(0.924))]
    assert [(c.start, c.end, c.technique, c.origin) for c in first.cues] == [(0, 17, "vague_sourcing",
                                                                               "rule:vague_sourcing/1")]
    source = first.sources[0]
    assert (source.text, source.kind, source.reliability, source.rule) == (
        "des sources proches du dossier", "anonymous_vague", "unknown", "preposition")
    named = article.sentences[2].sources[0]
    assert (named.entity, named.entity_name, named.kind) == ("s1", "Le ministère de l'Intérieur", "official")
    last = article.sentences[4]
    assert [m.technique for m in last.techniques] == ["speculative_link", "Name_Calling-Labeling", "Loaded_Language"]
    assert {m.technique: m.origin for m in last.techniques}["speculative_link"] == "rule:speculative_link/1"
    assert article.technique_counts()["Loaded_Language"] == 2
    assert all(s.seen for s in article.sentences) and article.sentences[3].techniques == ()


def test_the_sourcing_profile_is_computed_from_the_source_mentions() -> None:
    profile = one_article().profile
    assert profile["attributions"] == 2 and profile["anonymous"] == 1
    assert [e["name"] for e in profile["entities"]] == ["Le ministère de l'Intérieur"]
    assert {loss["penalty"] for loss in profile["losses"]} >= {"anonymous", "unattributed"}
    assert len(profile["losses"]) == len(profile["reasons"])


def test_predictions_without_sources_have_no_profile() -> None:
    article = one_article(predictions("tfidf@0123456789ab"))
    assert not article.has_sources and article.profile is None and not any(s.sources for s in article.sentences)


def test_a_sentence_without_prediction_shows_as_plain_text() -> None:
    partial = predictions()
    del partial["a1:185-206"]
    article = one_article(partial)
    assert [s.seen for s in article.sentences] == [True, True, True, False, True]


def test_an_unknown_technique_is_an_error_naming_the_file_and_the_sentence() -> None:
    bad = predictions()
    item = next(i for i in bad["a1:49-124"]["result"] if i["from_name"] == "technique_sourcing")
    item["value"]["choices"] = ["made_up"]
    with pytest.raises(InputError, match=r"^p\.jsonl: sentence a1:49-124, result 0 \(technique_sourcing\): "
                                         r"technique 'made_up' is not in .*taxonomy\.yaml$"):
        one_article(bad)


@pytest.mark.parametrize("change, message", [
    (lambda p: p.update({"other:0-5": p["a1:0-47"]}), r"p\.jsonl: 1 predictions for sentences that are not in INPUT "
                                                      r"\(first: 'other:0-5'\); were they made from another INPUT\?"),
    (lambda p: p.update({"a1:0-46": p["a1:0-47"]}), r"p\.jsonl: prediction for sentence 'a1:0-46', which INPUT's "
                                                    r"article 'a1' does not have"),
    (lambda p: p["a1:49-124"]["result"][1]["value"].update(start=1), r"result 1 \(cue\): span 1-17 \('Selon des "
                                                                     r"sources'\) is not in the sentence's text"),
    (lambda p: p["a1:49-124"]["result"].append({"from_name": "mood", "value": {}}), r"unknown control 'mood'"),
    (lambda p: p["a1:49-124"]["result"][3]["value"].update(choices=["rumour"]), r"kind 'rumour' is not in"),
])
def test_predictions_that_do_not_fit_input_are_refused(change, message) -> None:
    bad = copy.deepcopy(predictions())
    change(bad)
    with pytest.raises(InputError, match=message):
        one_article(bad)


def test_an_article_whose_sentences_are_apart_is_refused() -> None:
    split = sentences()
    with pytest.raises(InputError, match="article 'a1': its sentences are not together"):
        list(by_article([*split[:2], split[0].__class__(**{**split[2].to_dict(), "article_id": "b"}), *split[2:]]))


def test_the_model_path_predicts_article_by_article() -> None:
    calls = []

    def predict(group):
        calls.append([s.article_id for s in group])
        return [predictions()[s.id] for s in group]

    articles = list(modelled_articles(sentences(), predict, TAXONOMY, "model m", REGISTRY))
    assert calls == [["a1"] * 5] and articles[0].technique_counts() == one_article().technique_counts()


def test_annotations_give_the_majority_and_who_chose_it() -> None:
    rows = {r["id"]: r for r in gold_rows()}
    articles = list(annotated_articles(read_sentences(GOLD / "articles.jsonl"), rows, TAXONOMY, "pulled", REGISTRY))
    assert len(articles) == 53 and all(a.annotators == ("gold", "relecteur") for a in articles)
    labelled = next(s for a in articles for s in a.sentences if s.techniques)
    assert labelled.techniques[0].origin == "gold, relecteur" and labelled.techniques[0].score == 1.0
    assert sum(a.technique_counts().total() for a in articles) == sum(len(r["labels"]) for r in rows.values())
    cited = next(s for a in articles for s in a.sentences if s.sources)
    assert cited.sources[0].origin == "gold" and cited.sources[0].rule == "annotation"
    assert all(a.profile is not None and a.profile["score"] >= 0 for a in articles)


def test_annotations_of_sentences_input_lacks_are_refused() -> None:
    rows = {r["id"]: r for r in gold_rows()}
    with pytest.raises(InputError, match=r"^pulled: \d+ annotated sentences that are not in INPUT"):
        list(annotated_articles(sentences(), rows, TAXONOMY, "pulled", REGISTRY))


def test_page_names_are_safe_and_distinct() -> None:
    assert page_name("g01-depeche") == "g01-depeche.html"
    names = {page_name(i) for i in ("a/b", "a b", "a:b", "../x", "index", "INDEX")}
    assert len(names) == 6 and all("/" not in n and n.endswith(".html") and not n.startswith(".") for n in names)
    assert "index.html" not in names
