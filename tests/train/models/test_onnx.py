"""The ONNX Runtime path: export of a CamemBERT trained in the test, the agreement check
that guards it, loading it back, and the refusals (stale export, tfidf, no export)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from annotate.cli import cli
from annotate.errors import InputError
from tests.conftest import ROOT
from tests.builders import TAX, TINY_CAMEMBERT, dev_texts, write_config
from train.models.config import load_train_config
from train.models.model import load_model
from train.models.onnx import ONNX_DIR, ONNX_META, Agreement, compare, export_onnx
from train.models.training import train_model

pytestmark = pytest.mark.slow  # trains or builds models: `make unit` leaves it out, `make test` runs it


@pytest.fixture(scope="module")
def camembert_dir(tmp_path_factory: pytest.TempPathFactory, labelled_split: Path) -> Path:  # noqa: F811
    folder = tmp_path_factory.mktemp("onnx")
    train_model(load_train_config(write_config(folder, "cam", labelled_split, camembert=TINY_CAMEMBERT)), TAX)
    return folder / "cam"


@pytest.fixture
def fresh_model(tmp_path: Path, camembert_dir: Path) -> Path:
    """A copy of the trained model that a test may export into or break."""
    return Path(shutil.copytree(camembert_dir, tmp_path / "cam"))


def test_export_check_and_load(fresh_model: Path, labelled_split: Path) -> None:  # noqa: F811
    texts = dev_texts(labelled_split)
    agreement = export_onnx(fresh_model, texts, checked_on="dev")
    assert agreement.texts == len(texts) and agreement.share >= 0.99
    info = json.loads((fresh_model / ONNX_DIR / ONNX_META).read_text(encoding="utf-8"))
    assert info["quantization"] == "dynamic-int8" and info["check"]["identical"] == agreement.identical
    assert not (fresh_model / (ONNX_DIR + ".partial")).exists()

    torch_model = load_model(fresh_model)
    onnx_model = load_model(fresh_model, runtime="onnx")
    assert onnx_model.model_version == torch_model.model_version + "+onnx-int8"
    torch_scores, onnx_scores = torch_model.scores(texts), onnx_model.scores(texts)
    assert onnx_scores.shape == torch_scores.shape
    assert np.abs(torch_scores - onnx_scores).max() < 0.05  # int8 weights: close, not equal
    # Texts in any order and batch size come back in input order. Not bit-identical: dynamic
    # quantisation scales the activations of each batch by that batch's range.
    assert np.allclose(onnx_model.scores(texts[::-1], batch_size=5)[::-1], onnx_scores, atol=0.02)


def test_fp32_export_matches_pytorch(fresh_model: Path, labelled_split: Path) -> None:  # noqa: F811
    texts = dev_texts(labelled_split)
    agreement = export_onnx(fresh_model, texts, quantize=False)
    assert agreement.identical == agreement.texts and agreement.max_score_diff < 1e-4
    model = load_model(fresh_model, runtime="onnx")
    assert model.model_version.endswith("+onnx-fp32")
    # fp32: any order and batch size give the same scores, back in input order.
    assert np.allclose(model.scores(texts[::-1], batch_size=5)[::-1], model.scores(texts), atol=1e-5)


def test_disagreeing_export_is_not_installed(fresh_model: Path, labelled_split: Path) -> None:  # noqa: F811
    texts = dev_texts(labelled_split)
    export_onnx(fresh_model, texts, min_agreement=0.0)
    torch_scores = load_model(fresh_model).scores(texts)
    onnx_scores = load_model(fresh_model, runtime="onnx").scores(texts)
    shutil.rmtree(fresh_model / ONNX_DIR)
    # Put a threshold exactly on a PyTorch score that int8 rounds down: that text's
    # decision flips, so a 100 % agreement requirement must refuse the export.
    meta = json.loads((fresh_model / "propa_model.json").read_text(encoding="utf-8"))
    columns = [meta["labels"].index(name) for name in meta["trained_labels"]]
    gap, i, j = max((torch_scores[i, j] - onnx_scores[i, j], i, j) for j in columns for i in range(len(texts)))
    assert gap > 1e-4
    # halfway between int8's score and PyTorch's: fp32 (within 1e-6) keeps the decision, int8 does not
    meta["thresholds"][meta["labels"][j]] = float(torch_scores[i, j] - gap / 2)
    (fresh_model / "propa_model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(InputError, match=r"disagrees with PyTorch on \d+ of \d+ texts.*nothing written"):
        export_onnx(fresh_model, texts, quantize=True, min_agreement=1.0)
    assert not (fresh_model / ONNX_DIR).exists()
    assert not (fresh_model / (ONNX_DIR + ".partial")).exists()
    # By default the fp32 export, checked the same way, is kept instead, and says so.
    agreement = export_onnx(fresh_model, texts, min_agreement=1.0)
    assert not agreement.quantized and agreement.share == 1.0 and agreement.int8_share < 1.0
    info = json.loads((fresh_model / ONNX_DIR / ONNX_META).read_text(encoding="utf-8"))
    assert info["quantization"] == "none" and info["check"]["int8_share"] == agreement.int8_share
    assert load_model(fresh_model, runtime="onnx").model_version.endswith("+onnx-fp32")
    assert sorted(p.name for p in (fresh_model / ONNX_DIR).iterdir()) == ["model.onnx", ONNX_META]


def test_compare_counts_texts_whose_decisions_all_match() -> None:
    class Meta:
        thresholds = (0.5, 0.5, 0.5)

    class FakeModel:  # only what compare() reads
        meta = Meta()
        trained_mask = np.array([True, True, False])

    reference = np.array([[0.6, 0.1, 0.9], [0.49, 0.2, 0.1], [0.7, 0.7, 0.7]])
    candidate = np.array([[0.61, 0.1, 0.1], [0.51, 0.2, 0.1], [0.7, 0.7, 0.7]])
    agreement = compare(FakeModel(), reference, candidate)  # type: ignore[arg-type]
    # Row 0 differs only on an untrained label (ignored); row 1 crosses the threshold.
    assert agreement == Agreement(texts=3, identical=2, max_score_diff=pytest.approx(0.02))
    assert agreement.share == pytest.approx(2 / 3)


def test_stale_or_missing_export_is_refused(fresh_model: Path, labelled_split: Path) -> None:  # noqa: F811
    with pytest.raises(InputError, match="no checked ONNX export; run: propa export-onnx"):
        load_model(fresh_model, runtime="onnx")
    export_onnx(fresh_model, dev_texts(labelled_split))
    weights = fresh_model / "model.safetensors"
    weights.write_bytes(weights.read_bytes() + b" ")  # as if retrained in place
    with pytest.raises(InputError, match="made from other weights"):
        load_model(fresh_model, runtime="onnx")


def test_tfidf_has_no_onnx_path(tmp_path: Path, labelled_split: Path) -> None:  # noqa: F811
    train_model(load_train_config(write_config(tmp_path, "tf", labelled_split, tfidf={"min_df": 1})), TAX)
    with pytest.raises(InputError, match="a tfidf model has no ONNX path"):
        load_model(tmp_path / "tf", runtime="onnx")
    with pytest.raises(InputError, match="only CamemBERT models .fine-tuned encoders. have an ONNX path"):
        export_onnx(tmp_path / "tf", ["Un texte."])


def test_cli_export_then_preannotate_with_onnx(fresh_model: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["export-onnx", str(fresh_model)])
    assert done.exit_code == 0, done.output
    assert "decisions identical to PyTorch on" in done.output and "(every split)" in done.output
    out = tmp_path / "pre.jsonl"
    done = runner.invoke(cli, ["preannotate", str(ROOT / "corpus" / "samples"), "-m", str(fresh_model),
                               "--runtime", "onnx", "-o", str(out)])
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # The model's version (its ONNX runtime named), then the attribution rules' (sources are on).
    [version] = {line["model_version"] for line in lines}
    assert len(lines) == 162 and version.startswith(load_model(fresh_model).model_version + "+onnx-int8+sources@")
    # A check set in another form: a folder of articles.
    samples = ROOT / "corpus" / "samples"
    done = runner.invoke(cli, ["export-onnx", str(fresh_model), "--check-on", str(samples)])
    assert done.exit_code == 0, done.output
    assert f"/162 texts of {samples} (" in done.output
