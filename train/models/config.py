"""Training configs: YAML loaded into frozen dataclasses, validated when loaded.

Every field has a documented default, every key in the file must be a field (an unknown
key is an error naming the file and line), and ``--set section.field=value`` on the
command line overrides one field before validation, so the saved config is exactly the
one that trained the model.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.errors import InputError, cut, quote
from annotate.yamlconf import YamlMap, load_yaml, parse_yaml

FAMILIES = ("tfidf", "tfidf-encoder", "camembert", "ensemble")
POOLINGS = ("cls", "mean")
SCRATCH = "scratch"


@dataclass(frozen=True)
class TfidfConfig:
    """TF-IDF features + one-vs-rest logistic regression (scikit-learn)."""

    word_ngrams: tuple[int, int] = (1, 2)  # word n-gram range
    char_ngrams: tuple[int, int] = (2, 5)  # character n-gram range (within word boundaries)
    min_df: int = 2  # ignore n-grams seen in fewer rows
    max_features: int = 300_000  # per analyser (words, characters)
    C: float = 4.0  # inverse regularisation strength of the logistic regression
    class_weight: str = "balanced"  # "balanced" (weights positives by rarity) or "none"
    max_iter: int = 2000


@dataclass(frozen=True)
class EncoderConfig:
    """Sentence embeddings of a pretrained encoder as features beside TF-IDF (family
    "tfidf-encoder"): mean-pooled last hidden states, standardised on the training texts,
    scaled by ``weight`` and concatenated with the TF-IDF features."""

    # A hub name (found in the hub cache, the cache of `propa encoder convert`, or on the
    # hub) or a local folder. Offline: `propa encoder convert` builds the default.
    model: str = "intfloat/multilingual-e5-small"
    prefix: str = "query: "  # put before every text (e5 was trained with "query: " / "passage: ")
    max_length: int = 256  # tokens per text; longer texts are truncated
    batch_size: int = 32  # texts embedded at once (sorted by length)
    # Scale of the standardised embeddings beside the TF-IDF features (the logistic regression
    # penalises them C x weight²); null: the one of weight_grid with the best dev micro-F1.
    weight: float | None = None
    weight_grid: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2, 0.5)
    threads: int = 0  # torch CPU threads; 0 = all cores
    cache: bool = True  # keep embeddings by text hash, so that retraining does not embed again


@dataclass(frozen=True)
class EnsembleConfig:
    """Averages the scores of trained model folders (family "ensemble"); the weights and
    the thresholds are tuned on the dev split of ``data``."""

    members: tuple[str, ...] = ()  # model folders (`propa train` outputs), two or more
    weights: tuple[float, ...] | None = None  # fixed weights, one a member; null: tuned on dev
    weight_step: float = 0.1  # grid step of the tuned weights (they sum to 1)


@dataclass(frozen=True)
class ScratchConfig:
    """Shape of a CamemBERT trained from nothing (``model: scratch``); a SentencePiece
    tokenizer is trained on the training texts first."""

    vocab_size: int = 8000
    hidden_size: int = 128
    layers: int = 4
    heads: int = 4
    intermediate_size: int = 512
    max_position: int = 514  # position embeddings (CamemBERT reserves 2)


@dataclass(frozen=True)
class CamembertConfig:
    """Fine-tuning of a CamemBERT with the transformers Trainer."""

    # "scratch" (offline: new tokenizer + small model), a hub name such as
    # "almanach/camembert-base", or a local folder (e.g. the output of `propa pretrain`).
    model: str = SCRATCH
    max_length: int = 128  # tokens per text; longer texts are truncated
    epochs: float = 10.0
    batch_size: int = 16
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup: float = 0.1  # share of the steps spent warming the learning rate up
    patience: int = 3  # early stopping: evaluations (epochs) without a better dev micro-F1
    pos_weight_cap: float = 10.0  # class imbalance: BCE pos_weight = min(negatives/positives, cap)
    threads: int = 0  # torch CPU threads; 0 = all cores
    # The classification head (and pooler) learns at this rate; null: learning_rate. A new
    # head on a pretrained encoder wants a higher rate than the encoder it sits on.
    head_learning_rate: float | None = None
    freeze_embeddings: bool = False  # keep the word embeddings fixed (a 250k vocabulary is most of e5)
    prefix: str = ""  # put before every text, in training and prediction ("query: " for e5)
    # "cls": the model's own classification head (AutoModelForSequenceClassification: the first
    # token, through the pooler for BERT); "mean": a linear head on the mean of the last hidden
    # states over the real tokens, how e5 and other sentence encoders were trained.
    pooling: str = "cls"
    scratch: ScratchConfig | None = None  # only with model: scratch


@dataclass(frozen=True)
class TrainConfig:
    family: str  # "tfidf", "tfidf-encoder", "camembert" (any encoder fine-tuned) or "ensemble"
    data: str  # a DatasetDict with "train" and "dev" splits (`propa data split`)
    output: str  # the model folder to write
    seed: int = 13
    # Labels with fewer dev positives than this share one global threshold (tuned on dev
    # micro-F1) instead of a threshold of their own.
    threshold_min_support: int = 30
    tfidf: TfidfConfig | None = None  # settings of families "tfidf" and "tfidf-encoder"
    encoder: EncoderConfig | None = None  # settings of family "tfidf-encoder"
    camembert: CamembertConfig | None = None  # settings of family "camembert"
    ensemble: EnsembleConfig | None = None  # settings of family "ensemble"
    config_path: str = field(default="", compare=False)  # where it was loaded from (not a YAML key)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data.pop("config_path")
        return _plain(data)


@dataclass(frozen=True)
class PretrainConfig:
    """Masked-language-model pre-training of a CamemBERT on unlabelled texts (`propa pretrain`)."""

    texts: str  # a dataset folder, a sentence corpus (`propa ingest`) or articles (.txt/.jsonl/.csv, folders)
    output: str  # the checkpoint folder to write (model + tokenizer), usable as camembert.model
    model: str = SCRATCH  # "scratch" (new tokenizer + model), a hub name or a local folder to continue from
    split: str | None = None  # with a dataset folder: the split to read (default: every split)
    max_length: int = 128
    epochs: float = 20.0
    batch_size: int = 32
    learning_rate: float = 5e-4
    weight_decay: float = 0.01
    warmup: float = 0.06
    mlm_probability: float = 0.15  # share of tokens masked
    seed: int = 13
    threads: int = 0
    scratch: ScratchConfig | None = None  # only with model: scratch
    config_path: str = field(default="", compare=False)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data.pop("config_path")
        return _plain(data)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _type_name(kind: Any) -> str:
    return getattr(kind, "__name__", str(kind))


def _coerce(value: Any, kind: Any, where: str) -> Any:
    """Check ``value`` against a field type; ints are accepted where floats are expected."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        if value is None:
            return None
        return _coerce(value, options[0], where)
    if dataclasses.is_dataclass(kind):
        return _build(kind, value, where)
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:  # tuple[X, ...]: a list of any length
            if not isinstance(value, (list, tuple)):
                raise InputError(f"{where}: expected a list, got {quote(value)}")
            return tuple(_coerce(v, args[0], where) for v in value)
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise InputError(f"{where}: expected a list of {len(args)} values, got {quote(value)}")
        return tuple(_coerce(v, a, where) for v, a in zip(value, args))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is float and isinstance(value, str):
        try:  # PyYAML reads 3e-4 (no dot) as a string: YAML 1.1
            return float(value)
        except ValueError:
            pass
    if kind in (int, float, str, bool) and (type(value) is not kind):
        raise InputError(f"{where}: expected {_type_name(kind)}, got {quote(value)}")
    return value


def _build(cls: type, mapping: Any, where: str):
    if not isinstance(mapping, dict):
        raise InputError(f"{where}: expected a mapping (key: value)")
    at = mapping.at if isinstance(mapping, YamlMap) else (lambda key: where)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "config_path"}
    for key in mapping:
        if key not in fields:
            raise InputError(f"{at(key)}: unknown key {quote(key)} (expected one of: {', '.join(fields)})")
    values = {}
    for name, spec in fields.items():
        if name in mapping:
            values[name] = _coerce(mapping[name], hints[name], f"{at(name)}: {name}")
        elif spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            raise InputError(f"{getattr(mapping, 'where', '') or where}: missing key '{name}'")
    return cls(**values)


def apply_override(raw: dict, assignment: str) -> None:
    """``section.field=value`` (value parsed as YAML) -> set in the raw mapping."""
    key, sep, text = assignment.partition("=")
    if not sep or not key:
        raise InputError(f"--set {quote(assignment)}: expected section.field=value")
    value = parse_yaml(text, f"--set {quote(assignment)}") if text else ""
    *parents, last = key.split(".")
    target = raw
    for part in parents:
        child = target.get(part)
        if child is None:
            child = target[part] = YamlMap()
            child.where, child.key_where = f"--set {cut(assignment)}", {}
        if not isinstance(child, dict):
            raise InputError(f"--set {quote(assignment)}: {quote(part)} is not a section")
        target = child
    target[last] = value
    if isinstance(target, YamlMap):
        target.key_where[last] = f"--set {cut(assignment)}"


def _raw_config(path: Path, overrides: tuple[str, ...]) -> dict:
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a mapping (key: value)")
    for assignment in overrides:
        apply_override(raw, assignment)
    return raw


def _checked_model_section(section, where: str, prefix: str):
    """A CamemBERT section (fine-tuning or pre-training): the scratch shape filled in or
    refused as unused, the sizes checked."""
    if section.model == SCRATCH and section.scratch is None:
        section = dataclasses.replace(section, scratch=ScratchConfig())
    if section.model != SCRATCH and section.scratch is not None:
        raise InputError(f"{where}: {prefix}scratch is only used with model: {SCRATCH}; remove it")
    for name in ("epochs", "batch_size", "learning_rate", "max_length"):
        if getattr(section, name) <= 0:
            raise InputError(f"{where}: {prefix}{name} must be above 0")
    return section


SECTIONS = {"tfidf": ("tfidf",), "tfidf-encoder": ("tfidf", "encoder"), "camembert": ("camembert",),
            "ensemble": ("ensemble",)}
DEFAULT_SECTIONS = {"tfidf": TfidfConfig, "encoder": EncoderConfig, "camembert": CamembertConfig,
                    "ensemble": EnsembleConfig}


def validate(config: TrainConfig) -> TrainConfig:
    where = config.config_path or "config"
    if config.family not in FAMILIES:
        raise InputError(f"{where}: family {quote(config.family)} is not one of {', '.join(FAMILIES)}")
    used = SECTIONS[config.family]
    for section in DEFAULT_SECTIONS:
        if section not in used and getattr(config, section) is not None:
            raise InputError(f"{where}: section '{section}' is not used by family '{config.family}'; remove it")
    for section in used:  # sections left out take their defaults
        if getattr(config, section) is None:
            config = dataclasses.replace(config, **{section: DEFAULT_SECTIONS[section]()})
    if config.family == "camembert":
        section = _checked_model_section(config.camembert, where, "camembert.")
        if section.head_learning_rate is not None and section.head_learning_rate <= 0:
            raise InputError(f"{where}: camembert.head_learning_rate must be above 0 (or null)")
        if section.pooling not in POOLINGS:
            raise InputError(f"{where}: camembert.pooling must be one of {', '.join(POOLINGS)}")
        config = dataclasses.replace(config, camembert=section)
    if config.tfidf is not None and config.tfidf.class_weight not in ("balanced", "none"):
        raise InputError(f"{where}: tfidf.class_weight must be 'balanced' or 'none'")
    if config.encoder is not None:
        for name in ("max_length", "batch_size"):
            if getattr(config.encoder, name) <= 0:
                raise InputError(f"{where}: encoder.{name} must be above 0")
        if config.encoder.weight is None and not config.encoder.weight_grid:
            raise InputError(f"{where}: encoder.weight is null and encoder.weight_grid is empty: give one of them")
    if config.ensemble is not None:
        _check_ensemble(config.ensemble, where)
    return config


def _check_ensemble(section: EnsembleConfig, where: str) -> None:
    if len(section.members) < 2:
        raise InputError(f"{where}: ensemble.members needs two or more model folders")
    if section.weights is not None:
        if len(section.weights) != len(section.members) or min(section.weights) < 0 or sum(section.weights) <= 0:
            raise InputError(f"{where}: ensemble.weights needs one weight >= 0 a member, not all 0")
    if not 0 < section.weight_step <= 0.5:
        raise InputError(f"{where}: ensemble.weight_step must be in (0, 0.5]")


def load_train_config(
    path: Path | str, overrides: tuple[str, ...] = (), from_pretrained: str | None = None
) -> TrainConfig:
    """Read a training config, apply ``section.field=value`` overrides, validate.

    ``from_pretrained`` (a `propa pretrain` checkpoint, or any CamemBERT folder or hub
    name) replaces ``camembert.model`` and drops the ``scratch`` shape, which the
    checkpoint then defines.
    """
    path = Path(path)
    raw = _raw_config(path, overrides)
    if from_pretrained is not None:
        if raw.get("family") != "camembert":
            raise InputError(f"{path}: --from-pretrained needs family: camembert")
        section = raw.get("camembert")
        if not isinstance(section, dict):
            section = raw["camembert"] = {}
        section["model"] = from_pretrained
        section.pop("scratch", None)
    config = _build(TrainConfig, raw, str(path))
    return validate(dataclasses.replace(config, config_path=str(path)))


def load_pretrain_config(path: Path | str, overrides: tuple[str, ...] = ()) -> PretrainConfig:
    path = Path(path)
    raw = _raw_config(path, overrides)
    config = dataclasses.replace(_build(PretrainConfig, raw, str(path)), config_path=str(path))
    config = _checked_model_section(config, str(path), "")
    if not 0 < config.mlm_probability < 1:
        raise InputError(f"{path}: mlm_probability must be between 0 and 1")
    return config


def config_from_dict(data: dict, where: str) -> TrainConfig:
    """The config saved in a model folder -> TrainConfig."""
    return validate(dataclasses.replace(_build(TrainConfig, data, where), config_path=where))
