"""Training configs: loading, defaults, overrides, validation (train/models/config.py)."""

import dataclasses
from pathlib import Path

import pytest

from annotate.errors import InputError
from tests.conftest import ROOT
from train.models.config import (
    CamembertConfig,
    PretrainConfig,
    ScratchConfig,
    TfidfConfig,
    TrainConfig,
    config_from_dict,
    load_pretrain_config,
    load_train_config,
)

CONFIGS = ROOT / "configs" / "train"

TFIDF = """\
family: tfidf
data: data/split
output: models/tfidf
"""
SCRATCH = """\
family: camembert
data: data/split
output: models/scratch
camembert:
  model: scratch
  epochs: 2
"""


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_tfidf_config() -> None:
    config = load_train_config(CONFIGS / "tfidf.yaml")
    assert (config.family, config.data, config.output, config.seed) == ("tfidf", "data/split", "models/tfidf", 13)
    assert config.threshold_min_support == 30
    assert config.tfidf == TfidfConfig(word_ngrams=(1, 2), char_ngrams=(2, 5), min_df=2, max_features=300_000,
                                       C=4.0, class_weight="balanced", max_iter=2000)
    assert config.camembert is None
    assert config.config_path == str(CONFIGS / "tfidf.yaml")


def test_shipped_camembert_scratch_config() -> None:
    config = load_train_config(CONFIGS / "camembert-scratch.yaml")
    assert (config.family, config.output) == ("camembert", "models/camembert-scratch")
    assert config.tfidf is None
    section = config.camembert
    assert (section.model, section.epochs, section.learning_rate, section.patience) == ("scratch", 30.0, 5e-4, 5)
    assert isinstance(section.epochs, float)  # "epochs: 30" is an int in YAML
    assert section.scratch == ScratchConfig(vocab_size=8000, hidden_size=128, layers=4, heads=4,
                                            intermediate_size=512, max_position=514)


def test_shipped_camembert_base_config() -> None:
    config = load_train_config(CONFIGS / "camembert-base.yaml")
    section = config.camembert
    assert (section.model, section.epochs, section.learning_rate) == ("almanach/camembert-base", 4.0, 3e-5)
    assert (section.batch_size, section.patience, section.scratch) == (16, 2, None)


def test_shipped_pretrain_config() -> None:
    config = load_pretrain_config(CONFIGS / "pretrain-scratch.yaml")
    assert isinstance(config, PretrainConfig)
    assert (config.texts, config.split, config.output, config.model) == ("data/split", "train", "models/pretrained",
                                                                         "scratch")
    assert (config.epochs, config.batch_size, config.learning_rate, config.mlm_probability) == (20.0, 32, 5e-4, 0.15)
    assert config.scratch == ScratchConfig()


def test_defaults_fill_missing_sections(tmp_path: Path) -> None:
    tfidf = load_train_config(write(tmp_path, TFIDF))
    assert tfidf.tfidf == TfidfConfig()
    assert (tfidf.seed, tfidf.threshold_min_support) == (13, 30)

    scratch = load_train_config(write(tmp_path, SCRATCH, "scratch.yaml"))
    assert scratch.camembert.scratch == ScratchConfig()
    assert scratch.camembert.epochs == 2.0

    bare = load_train_config(write(tmp_path, "family: camembert\ndata: d\noutput: o\n", "bare.yaml"))
    assert bare.camembert == CamembertConfig(scratch=ScratchConfig())


@pytest.mark.parametrize(("text", "line"), [
    (TFIDF + "epoch: 3\n", 4),  # top level
    (SCRATCH + "  epoch: 3\n", 7),  # inside a section
    (SCRATCH + "  scratch:\n    layer: 2\n", 8),  # inside a nested section
])
def test_unknown_key_names_file_and_line(tmp_path: Path, text: str, line: int) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError, match="unknown key '(epoch|layer)'") as error:
        load_train_config(path)
    assert f"{path}:{line}:" in str(error.value)


def test_wrong_type_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, SCRATCH.replace("epochs: 2", "epochs: many"))
    with pytest.raises(InputError, match="epochs: expected float, got 'many'") as error:
        load_train_config(path)
    assert f"{path}:6" in str(error.value)


@pytest.mark.parametrize("text", [
    TFIDF + "seed: yes\n",  # a bool is not an int
    TFIDF + "tfidf:\n  word_ngrams: [1, 2, 3]\n",
    TFIDF + "tfidf: 3\n",
    TFIDF.replace("output: models/tfidf\n", ""),
])
def test_other_malformed_configs(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputError, match=r"seed|word_ngrams|tfidf|missing key 'output'"):
        load_train_config(write(tmp_path, text))


def test_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, SCRATCH)
    config = load_train_config(path, ("camembert.epochs=3", "seed=7", "camembert.learning_rate=3e-4"))
    assert (config.camembert.epochs, config.seed) == (3.0, 7)
    # PyYAML (YAML 1.1) reads "3e-4" as a string; the float field converts it.
    assert config.camembert.learning_rate == 0.0003
    assert isinstance(config.camembert.learning_rate, float)
    assert config.camembert.model == "scratch"  # untouched fields keep the file's values


def test_override_creates_a_missing_section(tmp_path: Path) -> None:
    config = load_train_config(write(tmp_path, TFIDF), ("tfidf.C=0.5", "tfidf.word_ngrams=[1, 3]"))
    assert config.tfidf == TfidfConfig(C=0.5, word_ngrams=(1, 3))
    config = load_train_config(write(tmp_path, "family: camembert\ndata: d\noutput: o\n", "bare.yaml"),
                               ("camembert.scratch.layers=2",))
    assert config.camembert.scratch == ScratchConfig(layers=2)


@pytest.mark.parametrize(("assignment", "message"), [
    ("camembert.epochs", "expected section.field=value"),
    ("=3", "expected section.field=value"),
    ("camembert.epochz=3", "unknown key 'epochz'"),
    ("sed=7", "unknown key 'sed'"),
    ("data.path=x", "'data' is not a section"),
    ("camembert.epochs=lots", "epochs: expected float, got 'lots'"),
])
def test_bad_overrides(tmp_path: Path, assignment: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as error:
        load_train_config(write(tmp_path, SCRATCH), (assignment,))
    if "unknown" in message:
        assert f"--set {assignment}" in str(error.value)  # where the bad key came from


def test_from_pretrained(tmp_path: Path) -> None:
    config = load_train_config(CONFIGS / "camembert-scratch.yaml", from_pretrained="some/dir")
    assert config.camembert.model == "some/dir"
    assert config.camembert.scratch is None
    assert config.camembert.epochs == 30.0  # the rest of the section stays
    bare = load_train_config(write(tmp_path, "family: camembert\ndata: d\noutput: o\n"), from_pretrained="x/y")
    assert bare.camembert == CamembertConfig(model="x/y")


def test_from_pretrained_needs_camembert() -> None:
    with pytest.raises(InputError, match="--from-pretrained needs family: camembert"):
        load_train_config(CONFIGS / "tfidf.yaml", from_pretrained="some/dir")


@pytest.mark.parametrize(("text", "message"), [
    (TFIDF.replace("tfidf", "bert", 1), "family 'bert' is not one of tfidf, tfidf-encoder, camembert, ensemble"),
    (TFIDF + "camembert:\n  epochs: 2\n", "section 'camembert' is not used by family 'tfidf'"),
    (SCRATCH + "tfidf:\n  C: 1.0\n", "section 'tfidf' is not used by family 'camembert'"),
    (SCRATCH.replace("model: scratch", "model: some/dir") + "  scratch:\n    layers: 2\n",
     "camembert.scratch is only used with model: scratch"),
    (SCRATCH.replace("epochs: 2", "epochs: 0"), "camembert.epochs must be above 0"),
    (SCRATCH.replace("epochs: 2", "epochs: -1.5"), "camembert.epochs must be above 0"),
    (SCRATCH.replace("epochs: 2", "batch_size: 0"), "camembert.batch_size must be above 0"),
    (TFIDF + "tfidf:\n  class_weight: auto\n", "class_weight must be 'balanced' or 'none'"),
])
def test_validation_errors_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=message) as error:
        load_train_config(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(("text", "message"), [
    ("texts: t\noutput: o\nmodel: some/dir\nscratch:\n  layers: 2\n", "scratch is only used with model: scratch"),
    ("texts: t\noutput: o\nepochs: 0\n", "epochs must be above 0"),
    ("texts: t\noutput: o\nmlm_probability: 1.0\n", "mlm_probability must be between 0 and 1"),
    ("texts: t\noutput: o\nfamily: tfidf\n", "unknown key 'family'"),
])
def test_pretrain_config_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_pretrain_config(write(tmp_path, text))


def test_pretrain_overrides(tmp_path: Path) -> None:
    config = load_pretrain_config(write(tmp_path, "texts: t\noutput: o\n"), ("learning_rate=1e-3", "split=dev"))
    assert (config.learning_rate, config.split, config.scratch) == (0.001, "dev", ScratchConfig())


@pytest.mark.parametrize("name", ["tfidf.yaml", "camembert-scratch.yaml", "camembert-base.yaml",
                                  "tfidf-encoder.yaml", "encoder-finetune.yaml", "ensemble.yaml"])
def test_to_dict_round_trip(name: str) -> None:
    config = load_train_config(CONFIGS / name, ("camembert.epochs=3",) if "camembert" in name else ())
    data = config.to_dict()
    assert "config_path" not in data
    assert config_from_dict(data, "model/config.json") == config
    if config.tfidf is not None:
        assert data["tfidf"]["word_ngrams"] == [1, 2]  # plain lists, ready for JSON


def test_configs_are_frozen() -> None:
    config = load_train_config(CONFIGS / "camembert-scratch.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.seed = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.camembert.epochs = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainConfig(family="tfidf", data="d", output="o").data = "x"  # type: ignore[misc]


def test_the_shipped_encoder_configs_say_what_the_recipes_need() -> None:
    features = load_train_config(CONFIGS / "tfidf-encoder.yaml")
    assert features.encoder.model == "intfloat/multilingual-e5-small" and features.encoder.prefix == "query: "
    assert features.encoder.weight is None and features.encoder.weight_grid  # chosen on dev
    finetune = load_train_config(CONFIGS / "encoder-finetune.yaml").camembert
    assert finetune.model == "intfloat/multilingual-e5-small" and finetune.prefix == "query: "
    assert finetune.head_learning_rate > finetune.learning_rate and finetune.freeze_embeddings
    ensemble = load_train_config(CONFIGS / "ensemble.yaml").ensemble
    assert len(ensemble.members) == 2 and ensemble.weights is None


@pytest.mark.parametrize("text, message", [
    ("family: ensemble\ndata: d\noutput: o\nensemble:\n  members: [a, b]\n  weights: [1]\n", "one weight"),
    ("family: ensemble\ndata: d\noutput: o\nensemble:\n  members: [a, b]\n  weight_step: 0.9\n", "weight_step"),
    ("family: tfidf-encoder\ndata: d\noutput: o\nencoder:\n  weight_grid: []\n", "weight_grid is empty"),
    ("family: camembert\ndata: d\noutput: o\ncamembert:\n  model: x\n  pooling: max\n", "pooling must be"),
    ("family: tfidf\ndata: d\noutput: o\nencoder: {}\n", "section 'encoder' is not used"),
])
def test_encoder_and_ensemble_sections_are_checked(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_train_config(write(tmp_path, text))
