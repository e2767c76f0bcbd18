"""A non-editable install finds its shipped defaults (issue 15): the taxonomy, the cue rules,
the source registry, the training configs and the gold set travel in the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from annotate import defaults

pytestmark = pytest.mark.slow  # builds a wheel and installs it: `make unit` leaves it out, `make test` runs it

ROOT = Path(__file__).resolve().parent.parent


def test_the_checkout_folders_come_first():
    assert defaults.configs_dir() == ROOT / "configs"
    assert defaults.gold_dir() == ROOT / "corpus" / "gold"


def test_a_configs_path_falls_back_on_the_installed_copy(tmp_path, monkeypatch):
    installed = tmp_path / "site" / "propa_defaults"
    (installed / "train").mkdir(parents=True)
    (installed / "train" / "tfidf.yaml").write_text("family: tfidf\n")
    monkeypatch.setattr(defaults, "_CHECKOUT", tmp_path / "no-checkout")
    monkeypatch.setattr(defaults, "_installed", lambda package: installed)
    monkeypatch.chdir(tmp_path)
    assert defaults.configs_dir() == installed
    assert defaults.shipped(Path("configs/train/tfidf.yaml")) == installed / "train" / "tfidf.yaml"
    assert defaults.shipped(Path("configs/train/nope.yaml")) == Path("configs/train/nope.yaml")  # the error names it
    mine = tmp_path / "configs" / "train" / "tfidf.yaml"
    mine.parent.mkdir(parents=True)
    mine.write_text("family: tfidf\n")
    assert defaults.shipped(Path("configs/train/tfidf.yaml")) == Path("configs/train/tfidf.yaml")  # the user's own


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel `pip wheel .` builds, installed into a folder outside the checkout."""
    import shutil

    wheels, target, source = (tmp_path_factory.mktemp(name) for name in ("wheel", "site", "source"))
    # built from a copy: setuptools writes build/ and *.egg-info beside the sources
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("annotate", "train", "configs"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "corpus" / "gold").mkdir(parents=True)
    shutil.copy(ROOT / "corpus" / "gold" / "gold_fr.jsonl", source / "corpus" / "gold" / "gold_fr.jsonl")
    from importlib.util import find_spec

    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # With the build tools at hand, build here; without (a venv of Python 3.12+), pip fetches them.
    isolation = ["--no-build-isolation"] if find_spec("setuptools") and find_spec("wheel") else []
    subprocess.run(pip + ["wheel", str(source), "--no-deps", *isolation, "-w", str(wheels)], check=True,
                   capture_output=True)
    wheel = next(wheels.glob("propa-*.whl"))
    subprocess.run(pip + ["install", "--no-deps", "--target", str(target), str(wheel)], check=True,
                   capture_output=True)
    return target


def propa(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}  # ahead of the editable install of the checkout
    return subprocess.run([sys.executable, "-c", "from annotate.cli import main; main()", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


def test_an_installed_propa_works_outside_the_checkout(installed, tmp_path):
    where = propa(installed, tmp_path, "--version")
    assert where.returncode == 0, where.stderr
    found = subprocess.run([sys.executable, "-c", "import annotate.defaults as d; print(d.configs_dir())"],
                           cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(installed)}, capture_output=True,
                           text=True)
    assert found.stdout.strip() == str(installed / "propa_defaults")  # not the checkout's configs/

    labels = propa(installed, tmp_path, "taxonomy", "labels")
    assert labels.returncode == 0, labels.stderr
    assert labels.stdout.splitlines()[0].startswith("unsupported_allegation\tsourcing")

    (tmp_path / "article.txt").write_text("Un titre\nSelon des sources proches du dossier, le ministre savait.\n",
                                          encoding="utf-8")
    ingest = propa(installed, tmp_path, "ingest", "article.txt", "-o", "sentences.jsonl", "--sources")
    assert ingest.returncode == 0, ingest.stderr
    assert "1 articles, 2 sentences" in ingest.stdout
    assert '"kind"' in (tmp_path / "sentences.jsonl").read_text(encoding="utf-8")  # the registry and the gold set
