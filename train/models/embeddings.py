"""Sentence embeddings of a pretrained encoder, as features (family "tfidf-encoder").

An :class:`Embedder` mean-pools the encoder's last hidden states over the real tokens of
each text (with a prefix: e5 was trained on "query: ..."), in batches of similar length
(less padding), under ``inference_mode``. :class:`EmbeddingCache` keeps the vectors by
text hash in one SQLite file per encoder and settings, so that retraining, tuning or
comparing configs never embeds the same text twice. :class:`EncoderFeatures` standardises
them on the training texts and scales them by a weight, ready to sit beside TF-IDF.

The encoder is named like any transformers model (a hub name, the cache of `propa encoder
convert`, a local folder) and pinned by the sha256 of its weights: a model folder trained
on one encoder refuses another.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Callable

import numpy as np

from annotate.errors import InputError

CACHE_ENV = "PROPA_EMBEDDING_CACHE"
WEIGHT_NAMES = ("model.safetensors", "pytorch_model.bin")


def default_cache() -> Path:
    from train.models.encoders import cache_root

    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return cache_root() / "embeddings"


def weights_fingerprint(folder: Path) -> str:
    """sha256 of the encoder's weights (read from conversion.json when the converter wrote it)."""
    from annotate.files import file_sha256
    from train.models.encoders import CONVERSION_FILE

    info = folder / CONVERSION_FILE
    if info.is_file():
        recorded = json.loads(info.read_text(encoding="utf-8")).get("weights_sha256")
        if recorded:
            return recorded
    for name in WEIGHT_NAMES:
        if (folder / name).is_file():
            return file_sha256(folder / name)
    raise InputError(f"{folder}: no weights file ({' or '.join(WEIGHT_NAMES)})")


class Embedder:
    """Mean-pooled sentence embeddings of a transformers encoder."""

    def __init__(self, name: str, prefix: str = "", max_length: int = 256, batch_size: int = 32, threads: int = 0):
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        from train.models.transformer import resolve_pretrained, set_threads

        set_threads(threads)
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        source, local = resolve_pretrained(name)
        if not Path(source).is_dir():  # a hub name, downloaded now: pin what was downloaded
            from huggingface_hub import snapshot_download

            source = snapshot_download(name, local_files_only=local)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
            self.model = AutoModel.from_pretrained(source, local_files_only=True).eval()
        except (OSError, ValueError) as err:
            raise InputError(f"{name}: cannot load the encoder ({err})") from None
        self.name, self.prefix, self.max_length, self.batch_size = name, prefix, max_length, batch_size
        self.fingerprint = weights_fingerprint(Path(source))
        self.dimension = int(self.model.config.hidden_size)

    @property
    def settings_key(self) -> str:
        """What determines a text's vector besides the text: weights, prefix, length, pooling."""
        payload = json.dumps([self.fingerprint, self.prefix, self.max_length, "mean"])
        return hashlib.sha256(payload.encode()).hexdigest()[:20]

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        from train.models.encoders import mean_pooled

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        step = self.batch_size * 8  # several batches between progress updates
        for start in range(0, len(order), step):
            chunk = order[start:start + step]
            out[chunk] = mean_pooled(self.model, self.tokenizer, [self.prefix + texts[i] for i in chunk],
                                     self.batch_size, self.max_length)
            if progress is not None:
                progress(len(chunk))
        return out


class EmbeddingCache:
    """Vectors by text hash, one SQLite file per encoder settings (safe to share between runs)."""

    def __init__(self, embedder: Embedder, folder: Path | None = None):
        self.embedder = embedder
        folder = folder or default_cache()
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{embedder.settings_key}.sqlite"
        self.connection = sqlite3.connect(str(self.path), timeout=60)
        self.connection.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embeddings of ``texts``: cached ones read, the others computed and stored."""
        keys = [self.key(text) for text in texts]
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            part = unique[start:start + 500]
            rows = self.connection.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
            found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        missing = [i for i, key in enumerate(keys) if key not in found]
        first_of = {}
        for i in missing:
            first_of.setdefault(keys[i], i)
        if progress is not None:
            progress(len(texts) - len(missing))
        todo = list(first_of.values())
        if todo:
            vectors = self.embedder.embed([texts[i] for i in todo], progress)
            with self.connection:
                self.connection.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                            [(keys[i], vector.tobytes()) for i, vector in zip(todo, vectors)])
            found.update((keys[i], vector) for i, vector in zip(todo, vectors))
        return np.stack([found[key] for key in keys]) if keys else np.zeros((0, self.embedder.dimension), np.float32)

    def close(self) -> None:
        self.connection.close()


class EncoderFeatures:
    """(embedding - mean) / scale * weight: standardised on the training texts."""

    def __init__(self, embedder: Embedder, mean: np.ndarray, scale: np.ndarray, weight: float,
                 cache: EmbeddingCache | None = None):
        self.embedder, self.mean, self.scale, self.weight, self.cache = embedder, mean, scale, weight, cache

    @classmethod
    def fit(cls, embedder: Embedder, vectors: np.ndarray, weight: float, cache: EmbeddingCache | None = None
            ) -> EncoderFeatures:
        mean = vectors.mean(axis=0)
        scale = vectors.std(axis=0)
        scale[scale < 1e-6] = 1.0
        return cls(embedder, mean.astype(np.float32), scale.astype(np.float32), weight, cache)

    def vectors(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """The texts' embeddings, through the cache when there is one."""
        return (self.cache or self.embedder).embed(texts, progress)

    def transform(self, vectors: np.ndarray) -> np.ndarray:
        return ((vectors - self.mean) / self.scale * self.weight).astype(np.float32)
