"""Training both families on a small project-written dataset: the model folder, reloading
it in a fresh process, thresholds, resuming, and the errors a user can cause."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from annotate.dataset import load_dataset_dict, write_dataset
from annotate.errors import InputError, PropaError
from annotate.taxonomy import load_taxonomy
from tests.builders import (
    TAX,
    TINY_CAMEMBERT,
    assert_no_pickle,
    dev_texts,
    fresh_process_scores,
    labelled_rows,
    write_config,
)
from tests.conftest import ROOT
from train.models.config import load_train_config
from train.models.model import META_FILE, load_model
from train.models.model import checkpoints_dir
from train.models.training import train_model

def test_tfidf_trains_saves_and_reloads(labelled_split: Path, tmp_path: Path) -> None:
    config = load_train_config(write_config(tmp_path, "tfidf", labelled_split, tfidf={"min_df": 1}))
    summary = train_model(config, TAX)
    folder = summary.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "metrics.json", "propa_model.json", "tfidf.json", "tfidf.safetensors", "train_config.yaml"]
    assert_no_pickle(folder)
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    assert meta["labels"] == TAX.label_names
    assert meta["label2id"] == {name: i for i, name in enumerate(TAX.label_names)}
    assert set(meta["trained_labels"]) == {"vague_sourcing", "speculative_link", "unsupported_allegation",
                                           "Loaded_Language", "Appeal_to_Fear-Prejudice", "Name_Calling-Labeling"}
    assert meta["model_version"] == summary.model_version and summary.model_version.startswith("tfidf@")
    assert len(meta["data_hash"]) == 64
    assert load_model(folder).batch_size == 32  # no batch size of its own
    saved_config = yaml.safe_load((folder / "train_config.yaml").read_text(encoding="utf-8"))
    assert saved_config["tfidf"]["min_df"] == 1 and saved_config["tfidf"]["C"] == 4.0  # defaults written out
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["per_label"]["vague_sourcing"]["support"] > 0
    # It learns: the cues of these techniques are lexical (TF-IDF reaches about 0.7 here).
    assert summary.dev["micro_f1"] > 0.45

    model = load_model(folder)
    texts = dev_texts(labelled_split)
    scores = model.scores(texts)
    np.testing.assert_allclose(fresh_process_scores(folder, texts), scores, atol=1e-6)
    thresholds = np.array([meta["thresholds"][name] for name in meta["labels"]])
    expected = [[name for name, s, t in zip(model.labels, row, thresholds) if s >= t] for row in scores]
    assert model.predict(texts) == expected
    untrained = [i for i, name in enumerate(model.labels) if name not in meta["trained_labels"]]
    assert not scores[:, untrained].any() and all(thresholds[i] > 1 for i in untrained)


def test_same_config_and_data_give_the_same_model(labelled_split: Path, tmp_path: Path) -> None:
    first = train_model(load_train_config(write_config(tmp_path, "a", labelled_split)), TAX)
    second = train_model(load_train_config(write_config(tmp_path / "..", "a-again", labelled_split)), TAX)
    assert first.model_version.split("@")[1] == second.model_version.split("@")[1]
    texts = dev_texts(labelled_split)
    np.testing.assert_array_equal(load_model(first.output).scores(texts), load_model(second.output).scores(texts))
    other = train_model(load_train_config(write_config(tmp_path, "b", labelled_split, tfidf={"C": 1.0})), TAX)
    assert other.model_version.split("@")[1] != first.model_version.split("@")[1]


@pytest.mark.slow
def test_camembert_scratch_trains_saves_and_reloads(labelled_split: Path, tmp_path: Path) -> None:
    config = load_train_config(write_config(tmp_path, "cam", labelled_split, camembert=TINY_CAMEMBERT))
    summary = train_model(config, TAX)
    folder = summary.output
    names = {p.name for p in folder.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "propa_model.json",
            "train_config.yaml", "metrics.json"} <= names
    assert_no_pickle(folder)
    hf_config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert hf_config["problem_type"] == "multi_label_classification"
    assert hf_config["label2id"] == {name: i for i, name in enumerate(TAX.label_names)}
    assert not checkpoints_dir(folder).exists()  # the run finished: nothing left to resume
    assert summary.epochs == 2

    texts = dev_texts(labelled_split)
    model = load_model(folder, threads=1)
    scores = model.scores(texts)
    assert model.batch_size == TINY_CAMEMBERT["batch_size"] == 16  # unless told, it scores as it trained
    assert scores.shape == (len(texts), len(TAX.label_names))
    np.testing.assert_allclose(fresh_process_scores(folder, texts), scores, atol=1e-5)
    np.testing.assert_allclose(model.scores(texts, batch_size=3), scores, atol=1e-5)


@pytest.mark.slow
def test_camembert_resumes_from_its_last_checkpoint(labelled_split: Path, tmp_path: Path) -> None:
    from transformers import TrainerCallback

    class Stop(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            raise KeyboardInterrupt("interrupted for the test")

    config = load_train_config(write_config(tmp_path, "cam", labelled_split, camembert=TINY_CAMEMBERT))
    with pytest.raises(KeyboardInterrupt):
        train_model(config, TAX, callbacks=(Stop(),))
    checkpoints = checkpoints_dir(Path(config.output))
    assert [p.name for p in checkpoints.iterdir() if p.name.startswith("checkpoint-")]
    assert not Path(config.output).exists()  # no half-written model folder
    with pytest.raises(InputError, match="--resume"):
        train_model(config, TAX)
    summary = train_model(config, TAX, resume=True)
    assert summary.epochs == 2 and (summary.output / "model.safetensors").is_file()
    assert not checkpoints.exists()


def test_an_existing_model_is_not_replaced_without_overwrite(labelled_split: Path, tmp_path: Path) -> None:
    config = load_train_config(write_config(tmp_path, "m", labelled_split))
    train_model(config, TAX)
    with pytest.raises(InputError, match="--overwrite"):
        train_model(config, TAX)
    assert train_model(config, TAX, overwrite=True).output.is_dir()


@pytest.mark.parametrize("missing", ["tfidf.safetensors", "propa_model.json", "train_config.yaml"])
def test_a_model_folder_missing_a_file_is_refused(labelled_split: Path, tmp_path: Path, missing: str) -> None:
    folder = train_model(load_train_config(write_config(tmp_path, "m", labelled_split)), TAX).output
    (folder / missing).unlink()
    with pytest.raises(InputError, match=f"missing {missing}"):
        load_model(folder)


def test_a_label_outside_the_taxonomy_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "configs" / "taxonomy.yaml").read_text(encoding="utf-8"))
    raw["categories"][0]["techniques"].append({**raw["categories"][0]["techniques"][0], "id": "made_up_label",
                                               "name": "Étiquette inventée"})
    other = tmp_path / "taxonomy.yaml"
    other.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    wider = load_taxonomy(other)
    rows = labelled_rows()
    rows[0]["labels"] = ["made_up_label"]
    write_dataset({"train": rows[:200], "dev": rows[200:]}, wider, tmp_path / "data")
    config = load_train_config(write_config(tmp_path, "m", tmp_path / "data"))
    with pytest.raises(InputError, match="made_up_label"):
        train_model(config, TAX)


def test_an_empty_or_missing_split_is_refused(tmp_path: Path) -> None:
    rows = labelled_rows()
    write_dataset({"train": rows, "dev": []}, TAX, tmp_path / "empty")
    with pytest.raises(InputError, match="'dev' split is empty"):
        train_model(load_train_config(write_config(tmp_path, "m", tmp_path / "empty")), TAX)
    write_dataset({"all": rows}, TAX, tmp_path / "unsplit")
    with pytest.raises(InputError, match="propa data split"):
        train_model(load_train_config(write_config(tmp_path, "m", tmp_path / "unsplit")), TAX)


@pytest.mark.parametrize("environment", [{"HF_HUB_OFFLINE": "1"}, {"HF_ENDPOINT": "http://127.0.0.1:9"}])
def test_camembert_base_fails_at_once_offline(labelled_split: Path, tmp_path: Path, monkeypatch,
                                              environment: dict) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    config = load_train_config(ROOT / "configs" / "train" / "camembert-base.yaml",
                               (f"data={labelled_split}", f"output={tmp_path / 'base'}"))
    with pytest.raises(PropaError, match="camembert-scratch.yaml") as error:
        train_model(config, TAX)
    # Stopped by the one quick check, not after the hub client's retries.
    assert "hub is unreachable" in str(error.value) and "almanach/camembert-base" in str(error.value)
    assert not (tmp_path / "base").exists()



@pytest.mark.slow
def test_pretrain_then_fine_tune_from_the_checkpoint(labelled_split: Path, tmp_path: Path) -> None:
    from train.models.config import load_pretrain_config
    from train.models.pretrain import pretrain

    scratch = TINY_CAMEMBERT["scratch"]
    pretrain_yaml = tmp_path / "pretrain.yaml"
    pretrain_yaml.write_text(yaml.safe_dump({
        "texts": str(labelled_split), "split": "train", "output": str(tmp_path / "pretrained"), "epochs": 2,
        "batch_size": 16, "max_length": 48, "threads": 1, "scratch": scratch}), encoding="utf-8")
    summary = pretrain(load_pretrain_config(pretrain_yaml))
    folder = summary.output
    assert summary.texts == len(load_dataset_dict(labelled_split)["train"])
    assert {"config.json", "model.safetensors", "tokenizer.json", "pretrain_config.yaml"} <= {
        p.name for p in folder.iterdir()}
    assert_no_pickle(folder)
    assert json.loads((folder / "config.json").read_text(encoding="utf-8"))["architectures"] == [
        "CamembertForMaskedLM"]

    config = load_train_config(write_config(tmp_path, "tuned", labelled_split, camembert=TINY_CAMEMBERT),
                               from_pretrained=str(folder))
    assert config.camembert.model == str(folder) and config.camembert.scratch is None
    tuned = train_model(config, TAX).output
    saved = yaml.safe_load((tuned / "train_config.yaml").read_text(encoding="utf-8"))
    assert saved["camembert"]["model"] == str(folder)
    # The fine-tuned model kept the pre-trained vocabulary and encoder shape.
    assert (tuned / "tokenizer.json").read_text(encoding="utf-8") == (folder / "tokenizer.json").read_text(
        encoding="utf-8")
    assert json.loads((tuned / "config.json").read_text(encoding="utf-8"))["hidden_size"] == scratch["hidden_size"]
