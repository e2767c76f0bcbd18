"""Article sourcing profiles: the figures and the score's reasons on a hand-made case, and
on the gold corpus, neutral wire copy scores above conspiracy-leaning blogs."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from annotate.sources.attribution import Attribution
from annotate.cli import cli
from annotate.text.corpus import read_sentences
from annotate.quality.gold import read_gold_rows
from annotate.text.segment import Span
from annotate.sources.profile import NO_SOURCE, PENALTIES, profile_article, profile_corpus
from annotate.sources.registry import load_registry
from tests.conftest import ROOT

REGISTRY = load_registry()
GOLD = ROOT / "corpus" / "gold"


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
    assert profile.voices < 1.8 and profile.band == "weak" and profile.score < 40, profile.reasons
    assert any("the authorities' line, relayed by their media, is 7 of 8" in r for r in profile.reasons)
    assert any("vague source line" in reason for reason in profile.reasons)


def test_the_gold_styles_keep_their_order_with_a_wider_gap() -> None:
    styles = {row["article_id"]: row["style"] for row in read_gold_rows(GOLD / "gold_fr.jsonl")}
    scores: dict[str, list[int]] = {}
    for profile in profile_corpus(read_sentences(GOLD / "articles.jsonl"), REGISTRY):
        scores.setdefault(styles[profile.article_id], []).append(profile.score)
    mean = {style: sum(values) / len(values) for style, values in scores.items()}
    order = ["wire", "fact_check", "opinion", "state_media", "conspiracy_blog"]
    assert [mean[style] for style in order] == sorted(mean.values(), reverse=True), mean
    assert mean["wire"] - mean["conspiracy_blog"] > 30, mean  # 95 - 68 = 27 before sources were grouped


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
