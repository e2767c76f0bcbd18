"""Fixtures of the model-side tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def model_dir(labelled_split: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF-IDF model trained once on the seed set (about 2 s), for pre-annotation and the backend."""
    from annotate.taxonomy import load_taxonomy
    from tests.builders import write_config
    from train.models.config import load_train_config
    from train.models.training import train_model

    folder = tmp_path_factory.mktemp("models")
    return train_model(load_train_config(write_config(folder, "tfidf", labelled_split)), load_taxonomy()).output
