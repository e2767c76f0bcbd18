"""`propa sources train-tagger` then `--source-tagger` as a user types them: a tagger trained on a
slice of the gold set (tiny encoder), its spans in pre-annotations with their origin, and a
predictions file of the rules alone refused as another version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from annotate.sources.kinds import GOLD
from tests.conftest import SAMPLES, read_jsonl

pytestmark = pytest.mark.slow  # trains a transformer


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_train_a_tagger_and_preannotate_with_it(tiny_encoder: Path, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(GOLD.read_text(encoding="utf-8").splitlines(keepends=True)[:80]), encoding="utf-8")
    tagger = tmp_path / "tagger"
    done = run("sources", "train-tagger", "-o", tagger, "--gold", gold, "--encoder", tiny_encoder, "--epochs", 2,
               "--learning-rate", 0.002, "--threads", 1)
    assert done.exit_code == 0, done.output
    assert f"source-span tagger -> {tagger}" in done.output
    meta = json.loads((tagger / "tagger.json").read_text(encoding="utf-8"))
    assert meta["examples"] == 80 and meta["spans"] > 20 and len(meta["loss_per_epoch"]) == 2

    rules_only = tmp_path / "rules.jsonl"
    assert run("preannotate", SAMPLES, "--sources-only", "-o", rules_only).exit_code == 0
    with_tagger = tmp_path / "tagged.jsonl"
    done = run("preannotate", SAMPLES, "--sources-only", "--source-tagger", tagger, "-o", with_tagger,
               "--threads", 1)
    assert done.exit_code == 0, done.output
    versions = {p["model_version"] for p in read_jsonl(with_tagger)}
    assert len(versions) == 1 and versions.isdisjoint({p["model_version"] for p in read_jsonl(rules_only)})
    # the same file again: skipped, not duplicated; into the rules' file: refused, naming both versions
    again = run("preannotate", SAMPLES, "--sources-only", "--source-tagger", tagger, "-o", with_tagger)
    assert again.exit_code == 0 and len(read_jsonl(with_tagger)) == len(read_jsonl(rules_only))
    mixed = run("preannotate", SAMPLES, "--sources-only", "--source-tagger", tagger, "-o", rules_only)
    assert mixed.exit_code == 1 and versions.pop() in mixed.output


def test_a_missing_tagger_is_one_line_naming_it(tmp_path: Path) -> None:
    done = run("preannotate", SAMPLES, "--sources-only", "--source-tagger", tmp_path, "-o", tmp_path / "p.jsonl")
    assert done.exit_code == 1
    assert f"{tmp_path}: not a source-span tagger" in done.output
    assert not (tmp_path / "p.jsonl").exists()
