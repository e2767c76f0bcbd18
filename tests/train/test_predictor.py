"""The Predictor both pre-annotation and the backend use: its version names everything that
predicted (model, then attribution rules), and an output of another version is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.cues import load_cues
from annotate.errors import InputError
from annotate.sources.attribution import Attributor
from annotate.sources.registry import load_registry
from annotate.taxonomy import load_taxonomy
from annotate.text.corpus import read_sentences
from tests.conftest import SAMPLES, read_jsonl
from train.models.model import load_model
from train.predictor import Predictor, sources_version
from train.preannotate import preannotate

TAX = load_taxonomy()


@pytest.fixture(scope="module")
def attributor() -> Attributor:
    return Attributor(load_registry(None, TAX))


def test_the_version_names_the_model_then_the_rules(model_dir: Path, attributor: Attributor) -> None:
    model = load_model(model_dir)
    assert Predictor(TAX, model).version == model.model_version
    rules = sources_version(attributor.registry, attributor.kinds)
    assert Predictor(TAX, None, attributor=attributor).version == rules
    assert Predictor(TAX, model, load_cues(TAX), attributor).version == f"{model.model_version}+{rules}"
    with pytest.raises(InputError, match="give a model, or ask for sources"):
        Predictor(TAX)


def test_predict_keeps_the_order_and_matches_preannotate(model_dir: Path, attributor: Attributor,
                                                         tmp_path: Path) -> None:
    sentences = list(read_sentences(SAMPLES))[:40]
    predictor = Predictor(TAX, load_model(model_dir), load_cues(TAX), Attributor(load_registry(None, TAX)))
    made = predictor.predict(sentences, batch_size=8)
    assert [p["sentence_id"] for p in made] == [s.id for s in sentences]
    out = tmp_path / "pre.jsonl"
    preannotate(iter(sentences), load_model(model_dir), TAX, load_cues(TAX), out, attributor=attributor)
    assert read_jsonl(out) == json.loads(json.dumps(made))
    assert any(item["from_name"] == "source" for p in made for item in p["result"])


def test_a_rerun_after_the_rules_changed_refuses_rather_than_mix(model_dir: Path, attributor: Attributor,
                                                                 tmp_path: Path) -> None:
    """An output written before the attribution rules moved (another sources@ hash) is refused with
    one line naming both versions; nothing is appended to it."""
    model = load_model(model_dir)
    out = tmp_path / "pre.jsonl"
    old = f"{model.model_version}+sources@000000000000"
    out.write_text(json.dumps({"sentence_id": "x:0-1", "model_version": old, "score": 1.0, "result": []}) + "\n",
                   encoding="utf-8")
    before = out.read_bytes()
    new = Predictor(TAX, model, None, attributor).version
    with pytest.raises(InputError, match=f"holds predictions of model {old.replace('+', '[+]')}, not "
                                         f"{new.replace('+', '[+]')}; write to another --out"):
        preannotate(read_sentences(SAMPLES), model, TAX, None, out, attributor=attributor)
    assert out.read_bytes() == before
