"""`propa report` from stored predictions (a file, or the shards of the Ray engine), from a pull, and
from a model run on the spot; bad input ends as one error line naming it, and no index."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from tests.conftest import ROOT, SAMPLES
from tests.report.builders import GOLD, VERSION, write_inputs


def run(*args: object):
    return CliRunner().invoke(cli, ["report", *map(str, args)], catch_exceptions=False)


def test_a_report_from_stored_predictions(tmp_path: Path) -> None:
    corpus, predicted = write_inputs(tmp_path / "in")
    done = run(corpus, "--predictions", predicted, "-o", tmp_path / "report")
    assert done.exit_code == 0, done.output
    assert done.output.strip().splitlines()[-1] == (f"1 article page (5 sentences, 3 with a technique) -> "
                                                    f"{tmp_path / 'report' / 'index.html'}")
    page = (tmp_path / "report" / "articles" / "a1.html").read_text(encoding="utf-8")
    assert f"<code>{VERSION}</code>" in page and "score 0,91" in page
    index = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert 'href="articles/a1.html"' in index


def test_a_report_from_the_shards_of_the_ray_engine(tmp_path: Path) -> None:
    from train.ray_engine import Manifest, shard_name

    corpus, predicted = write_inputs(tmp_path / "in")
    shards = tmp_path / "shards"
    shards.mkdir()
    (shards / shard_name(0)).write_bytes(predicted.read_bytes())
    Manifest(model_version=VERSION, input=str(corpus), shard_size=500,
             shards={shard_name(0): {"articles": 1, "sentences": 5, "sha256": "-"}}).write(shards)
    done = run(corpus, "--predictions", shards, "-o", tmp_path / "report")
    assert done.exit_code == 0, done.output
    assert "1 article page (5 sentences, 3 with a technique)" in done.output


def test_a_report_from_a_pull(tmp_path: Path, pulled_gold: Path) -> None:
    done = run(GOLD / "articles.jsonl", "--annotations", pulled_gold, "-o", tmp_path / "report")
    assert done.exit_code == 0, done.output
    assert re.search(r"^53 article pages \(859 sentences, \d+ with a technique\)", done.output.splitlines()[-1])
    pages = sorted((tmp_path / "report" / "articles").glob("*.html"))
    assert len(pages) == 53
    page = pages[0].read_text(encoding="utf-8")
    assert "Annotations de : gold, relecteur" in page and "annotateurs : gold, relecteur" in page


def test_a_report_of_a_model_run_on_the_spot(tmp_path: Path, model_dir: Path) -> None:
    version = json.loads((model_dir / "propa_model.json").read_text(encoding="utf-8"))["model_version"]
    done = run(SAMPLES, "-m", model_dir, "--no-sources", "-o", tmp_path / "report")
    assert done.exit_code == 0, done.output
    assert done.output.strip().splitlines()[-1].startswith("8 article pages (")
    page = (tmp_path / "report" / "articles" / "01-depeche-barrage.html").read_text(encoding="utf-8")
    assert f"Prédictions du modèle <code>{version}</code>" in page  # without sources: the model's version alone
    assert "Pas de profil : ces prédictions ont été faites sans les règles d'attribution" in page


@pytest.mark.parametrize("args, message", [
    ((), "give one of --predictions FILE, --annotations PULLED or -m MODEL"),
    (("--predictions", "{predicted}", "-m", "{tmp}"), "give one of --predictions FILE, --annotations PULLED or -m "
                                                     "MODEL (not --predictions and -m)"),
    (("--predictions", "{tmp}/none.jsonl"), "{tmp}/none.jsonl: no such file or folder"),
    (("--predictions", "{bad}"), "{bad}: sentence a1:0-47, result 0 (technique_manipulative_wording): technique "
                                 "'Loaded_Lingo' is not in {taxonomy}"),
    (("--annotations", "{tmp}/nowhere"), "{tmp}/nowhere: no such file (expected what `propa pull` wrote)"),
    (("--predictions", "{predicted}", "--no-sources"), "--no-sources goes with -m (stored predictions already say "
                                                        "whether they have sources)"),
])
def test_bad_input_is_one_error_line_and_no_index(tmp_path: Path, args: tuple, message: str) -> None:
    corpus, predicted = write_inputs(tmp_path / "in")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(predicted.read_text(encoding="utf-8").replace('"Loaded_Language"]', '"Loaded_Lingo"]', 1),
                   encoding="utf-8")
    names = {"predicted": predicted, "tmp": tmp_path, "bad": bad, "taxonomy": ROOT / "configs" / "taxonomy.yaml"}
    done = run(corpus, *(a.format(**names) for a in args), "-o", tmp_path / "report")
    assert done.exit_code == 1
    assert done.output.splitlines() == [f"Error: {message.format(**names)}"]
    assert not (tmp_path / "report" / "index.html").exists()


def test_predictions_of_another_input_are_refused(tmp_path: Path) -> None:
    _, predicted = write_inputs(tmp_path / "in")
    done = run(SAMPLES, "--predictions", predicted, "-o", tmp_path / "report")
    assert done.exit_code == 1
    assert done.output.splitlines() == [f"Error: {predicted}: 5 predictions for sentences that are not in INPUT "
                                        "(first: 'a1:0-47'); were they made from another INPUT?"]
    assert not (tmp_path / "report" / "index.html").exists()
    # the samples' pages were made before the mismatch showed: none of them reached the folder
    assert not (tmp_path / "report").exists() or list((tmp_path / "report").rglob("*")) == []


@pytest.mark.slow
def test_the_sources_of_propa_preannotate_end_in_the_profile(tmp_path: Path) -> None:
    """The real pipeline: `propa preannotate --sources-only` on the samples (the French parser, about
    10 s), then the report, whose pages show each article's sources and sourcing score."""
    predicted = tmp_path / "sources.jsonl"
    done = CliRunner().invoke(cli, ["preannotate", str(SAMPLES), "--sources-only", "-o", str(predicted)],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    done = run(SAMPLES, "--predictions", predicted, "-o", tmp_path / "report")
    assert done.exit_code == 0, done.output
    page = (tmp_path / "report" / "articles" / "01-depeche-barrage.html").read_text(encoding="utf-8")
    assert '<section class="sources"><h2>Sources citées</h2><table>' in page
    assert "Météo-France" in page and re.search(r'<span class="big">\d+</span>', page)
    assert "Points perdus" in page and "(registry" not in page.split("Points perdus")[1].split("</ul>")[0]
