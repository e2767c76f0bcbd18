"""Article sourcing profiles: the figures and the score's reasons on a hand-made case, and
on the gold corpus, neutral wire copy scores above conspiracy-leaning blogs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from annotate.sources.attribution import Attribution
from annotate.cli import cli
from annotate.text.corpus import read_sentences
from annotate.quality.gold import read_gold_rows
from annotate.text.segment import Span
from annotate.sources.entities import SourceEntity
from annotate.sources.profile import NO_SOURCE, PENALTIES, authorities_line, profile_article, profile_corpus
from annotate.sources.registry import load_registry
from tests.conftest import ROOT

REGISTRY = load_registry()
GOLD = ROOT / "corpus" / "gold"
ONESIDED = ROOT / "tests" / "data" / "onesided"


def said(mention: str, kind: str) -> Attribution:
    return Attribution(Span(0, len(mention), mention), Span(0, 1, "x"), kind, "subject")


def test_figures_and_reasons() -> None:
    sentences = [
        (0, []),  # the title
        (1, [said("Korvan Info", "state_media")]),
        (1, [said("Korvan Info", "state_media"), said("des sources", "anonymous_vague")]),
        (2, [said("Korvan Info", "state_media")]),
        (2, []),
    ]
    profile = profile_article("a", "Titre", sentences, REGISTRY)
    assert (profile.attributions, profile.named, profile.anonymous, profile.state_media) == (4, 3, 1, 3)
    assert (profile.top_source, profile.top_share, profile.unattributed, profile.low_reliability) == (
        "Korvan Info", 0.75, 1, 3)
    # Korvan Info alone speaks (one voice), through state media the registry rates low.
    assert (profile.sources, profile.voices, profile.kinds) == (1, 1.0, {"state_media": 3, "anonymous_vague": 1})
    expected = 100 - PENALTIES["anonymous"] / 4 - PENALTIES["state_media"] * 3 / 4 - PENALTIES["one_sided"] \
        - PENALTIES["low_reliability"] * 3 / 4 - PENALTIES["unattributed"] / 4
    assert profile.score == round(expected) and profile.band == "weak"
    assert any("1.0 voices: Korvan Info carries 75%" in reason for reason in profile.reasons)
    assert any("rates low" in reason for reason in profile.reasons)
    silent = profile_article("b", "T", [(0, []), (1, [])], REGISTRY)
    assert silent.reasons == [f"cites no source at all (-{NO_SOURCE})"] and silent.score == 100 - NO_SOURCE


def test_one_party_repeated_through_its_state_media_is_weak_however_often_named() -> None:
    """The ministry named five ways is one source; with its state agency and a vague source line the
    piece lands in the bottom band, where counting each form as a source made it look balanced."""
    sentences = [
        (0, []),
        (1, [said("Le ministère de l'Intérieur de Sévranie", "official")]),
        (1, [said("Le ministère", "official")]),
        (1, [Attribution(Span(0, 2, "Il"), Span(3, 4, "x"), "official", "subject",
                         refers_to="Le ministère de l'Intérieur de Sévranie")]),
        (2, [said("l'agence de presse d'État sévrane", "state_media")]),
        (2, [said("le ministère de l'Intérieur", "official")]),
        (2, [said("le ministère", "official")]),
        (3, [said("l'agence de presse d'État sévrane", "state_media")]),
        (3, [Attribution(Span(10, 16, "Divers"), Span(0, 8, "Source :"), "anonymous_vague", "source-line")]),
    ]
    profile = profile_article("onesided", "Titre", sentences, REGISTRY)
    assert profile.sources == 2 and profile.top_source == "Le ministère de l'Intérieur de Sévranie"
    assert profile.entities[0]["mentions"] == ["Le ministère de l'Intérieur de Sévranie", "Le ministère",
                                               "le ministère de l'Intérieur", "le ministère"]
    # The ministry and its agency are one line: one voice.
    assert profile.voices == 1.0 and profile.band == "weak" and profile.score < 35, profile.reasons
    assert any("relayed by their own media, is 7 of 8 attributions, one voice" in r for r in profile.reasons)
    assert any("1.0 voices: the authorities' line carries 88%" in r for r in profile.reasons)
    assert any("vague source line" in reason for reason in profile.reasons)


def test_the_headline_is_not_counted() -> None:
    """A headline repeats the body: "Sévranie accuse..." is not one more source."""
    body = [(1, [said("le ministère de l'Intérieur", "official")]), (1, [said("l'ONG Veille", "expert_ngo")]),
            (2, [said("le maire de Hessal", "official")])]
    with_title = profile_article("a", "T", [(0, [said("Sévranie", "other")]), *body], REGISTRY)
    without = profile_article("a", "T", [(0, []), *body], REGISTRY)
    assert (with_title.attributions, with_title.sources, with_title.score) == (3, 3, without.score)
    assert with_title.sentences == 4


def entities(*sources: tuple[str, str, int]) -> tuple[Counter, dict]:
    by_id = {f"s{n}": SourceEntity(f"s{n}", name, kinds=Counter({kind: count}), mentions=[name])
             for n, (name, kind, count) in enumerate(sources, 1)}
    return Counter({i: sum(e.kinds.values()) for i, e in by_id.items()}), by_id


COUNTRIES = ("korvanie", "sevranie", "valdoria")


def test_the_authorities_line_is_a_few_voices_of_one_side() -> None:
    # A ministry relayed by its state agency: one line.
    counts, by_id = entities(("le ministère de l'Intérieur", "official", 5), ("l'agence d'État sévrane",
                                                                            "state_media", 2))
    assert authorities_line(counts, by_id, COUNTRIES) == ["s1", "s2"]
    # Many officials of different bodies beside one foreign state channel: several voices, no line.
    counts, by_id = entities(("la préfecture", "official", 2), ("le maire d'Orvane", "official", 1),
                             ("le Haut-Commissariat des Nations unies", "official", 1),
                             ("la Commission européenne", "official", 1), ("la télévision d'État korvane",
                                                                          "state_media", 1))
    assert authorities_line(counts, by_id, COUNTRIES) == []
    # An official of another country than the state outlet's is another party.
    counts, by_id = entities(("la télévision d'État korvane", "state_media", 2),
                             ("le ministère valdorien de la Défense", "official", 2))
    assert authorities_line(counts, by_id, COUNTRIES) == []
    # State media alone, or officials without state media: no line.
    assert authorities_line(*entities(("Korvan Info", "state_media", 3)), COUNTRIES) == []
    assert authorities_line(*entities(("le ministère", "official", 3), ("la présidence", "official", 1)),
                            COUNTRIES) == []


def onesided_profiles() -> dict:
    return {p.article_id: p for p in profile_corpus(read_sentences(ONESIDED), REGISTRY)}


def test_one_government_relayed_by_its_state_media_is_weak_and_a_balanced_dispatch_solid() -> None:
    """tests/data/onesided/: three pieces that relay one government's claims through its state
    agency or TV with a vague source line, and a dispatch on the same story that names every side."""
    profiles = onesided_profiles()
    assert len(profiles) == 4
    for name in ("ministere-defense-korvan-info", "presidence-sevrane-television", "agence-telegraphique-korvane"):
        profile = profiles[name]
        assert profile.band == "weak" and profile.score <= 35, (name, profile.score, profile.reasons)
        assert profile.voices < 1.5, (name, profile.reasons)
        assert any(r.startswith("the authorities' line (") and "one voice" in r for r in profile.reasons), name
        assert any("voices: the authorities' line carries" in r for r in profile.reasons), name
        assert any("vague source line" in r for r in profile.reasons), name
    # The minister named in a sentence that attributes nothing is his ministry's voice.
    ministry = profiles["ministere-defense-korvan-info"].entities[0]
    assert ministry["kind"] == "official" and "Varnitch" in ministry["mentions"], ministry
    # The headline ("Barrage de Tervaz : Korvanie accuse...") is not a source.
    balanced = profiles["depeche-barrage-tervaz"]
    assert balanced.band == "solid" and balanced.score >= 85, balanced.reasons
    assert balanced.voices >= 5 and not any("authorities' line" in r for r in balanced.reasons), balanced.reasons
    assert all(e["name"] != "Korvanie" for e in balanced.entities)


def test_the_gold_styles_keep_their_order_with_a_wider_gap() -> None:
    styles = {row["article_id"]: row["style"] for row in read_gold_rows(GOLD / "gold_fr.jsonl")}
    scores: dict[str, list[int]] = {}
    for profile in profile_corpus(read_sentences(GOLD / "articles.jsonl"), REGISTRY):
        scores.setdefault(styles[profile.article_id], []).append(profile.score)
    mean = {style: sum(values) / len(values) for style, values in scores.items()}
    order = ["wire", "fact_check", "opinion", "state_media", "conspiracy_blog"]
    assert [mean[style] for style in order] == sorted(mean.values(), reverse=True), mean
    # 95 - 68 = 27 before sources were grouped; 92.2 - 58.7 = 33.5 (fact-checks 88.0) before the
    # authorities' line was kept to one side's few voices and the headline left out (these word-list kinds).
    assert mean["wire"] - mean["conspiracy_blog"] > 35, mean
    assert mean["wire"] >= 92 and mean["fact_check"] >= 87.5, mean


def test_cli(tmp_path: Path) -> None:
    out = tmp_path / "profiles.jsonl"
    done = CliRunner().invoke(cli, ["sources", "profile", str(ROOT / "corpus" / "samples"), "-o", str(out)])
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 8 and all(0 <= line["score"] <= 100 and line["reasons"] for line in lines)
    assert "01-depeche-barrage" in done.output


def test_a_corpus_ingested_with_sources_is_profiled_without_parsing_again(tmp_path: Path, monkeypatch) -> None:
    import annotate.sources.attribution

    corpus = tmp_path / "corpus.jsonl"
    runner = CliRunner()
    done = runner.invoke(cli, ["ingest", str(ROOT / "corpus" / "samples"), "--sources", "--kinds", "rules",
                               "-o", str(corpus)])
    assert done.exit_code == 0, done.output
    fresh = tmp_path / "fresh.jsonl"
    assert runner.invoke(cli, ["sources", "profile", str(ROOT / "corpus" / "samples"), "--kinds", "rules",
                               "-o", str(fresh)]).exit_code == 0

    def no_parser(*args, **kwargs):
        raise AssertionError("the stored attributions should have been used")

    monkeypatch.setattr(annotate.sources.attribution.stored, "french_pipeline", no_parser)
    stored = tmp_path / "stored.jsonl"
    done = runner.invoke(cli, ["sources", "profile", str(corpus), "-o", str(stored)])
    assert done.exit_code == 0, done.output
    assert "using the attributions stored in" in done.output
    assert stored.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8")

    # A line without attributions in the middle is one clear error naming it.
    lines = corpus.read_text(encoding="utf-8").splitlines()
    broken = json.loads(lines[5])
    del broken["attributions"]
    lines[5] = json.dumps(broken, ensure_ascii=False)
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = runner.invoke(cli, ["sources", "profile", str(corpus)])
    assert done.exit_code == 1
    assert f"{corpus}:6: no 'attributions' (write the corpus with `propa ingest --sources`)" in done.output
