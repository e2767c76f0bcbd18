"""The baseline family: TF-IDF (word and character n-grams) + one-vs-rest logistic regression.

Family "tfidf-encoder" adds a dense block to the same features: a pretrained encoder's
standardised sentence embeddings (train/models/embeddings.py), scaled by a weight, so that one
linear model per label sees both the words and what the encoder makes of the sentence.

Fitted with scikit-learn, then saved as plain data, not pickle: the two vocabularies and
the vectoriser settings in ``tfidf.json``, the idf vectors and the logistic regression
weights in ``tfidf.safetensors``. Loading runs no code from the folder and is fast
(no pickle, no skops type registry to import); scoring is one sparse product.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from annotate.errors import InputError, quote
from train.models.config import EncoderConfig, TfidfConfig
from train.models.model import ModelMeta

SETTINGS_FILE = "tfidf.json"
WEIGHTS_FILE = "tfidf.safetensors"
ANALYSERS = {"words": "word", "chars": "char_wb"}


def _vectorizer(analyzer: str, ngrams: tuple[int, int], config: TfidfConfig | None = None, **fitted):
    from sklearn.feature_extraction.text import TfidfVectorizer

    options = {"analyzer": analyzer, "ngram_range": tuple(ngrams), "sublinear_tf": True, "lowercase": True,
               "dtype": np.float32}
    if config is not None:
        options.update(min_df=config.min_df, max_features=config.max_features)
    return TfidfVectorizer(**options, **fitted)


class TfidfScorer:
    """Scores = sigmoid(features(text) . W + b) for the trained labels; 0 for the others.

    The features are the TF-IDF blocks, then (family "tfidf-encoder") the encoder block."""

    def __init__(self, vectorizers: dict, coef: np.ndarray, intercept: np.ndarray, trained: np.ndarray,
                 n_labels: int, ngrams: dict[str, tuple[int, int]], dense=None, encoder_name: str = ""):
        self.vectorizers = vectorizers
        self.coef = coef  # (features, trained labels)
        self.intercept = intercept
        self.trained = trained  # column index of each trained label
        self.n_labels = n_labels
        self.ngrams = ngrams
        self.dense = dense  # EncoderFeatures or None
        self.encoder_name = encoder_name  # as the config names it (hub name or folder)

    def features(self, texts: list[str], vectors: np.ndarray | None = None, progress: bool = False):
        """The feature matrix; ``vectors`` are the texts' embeddings when already computed."""
        import scipy.sparse

        blocks = [self.vectorizers[name].transform(texts) for name in ANALYSERS]
        if self.dense is not None:
            if vectors is None:
                vectors = embed_with_progress(self.dense, texts, progress)
            blocks.append(scipy.sparse.csr_matrix(self.dense.transform(vectors)))
        return scipy.sparse.hstack(blocks).tocsr()

    def scores(self, texts: list[str], batch_size: int = 32, progress: bool = False,
               vectors: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.n_labels), dtype=np.float32)
        logits = self.features(texts, vectors, progress) @ self.coef + self.intercept
        # Untrained labels (no positive example in training) score 0: they are never predicted.
        out[:, self.trained] = 1.0 / (1.0 + np.exp(-np.asarray(logits)))
        return out


def embed_with_progress(source, texts: list[str], progress: bool) -> np.ndarray:
    """Embeddings from ``source`` (an Embedder, an EmbeddingCache or EncoderFeatures) with a bar."""
    from tqdm.auto import tqdm

    embed = source.vectors if hasattr(source, "vectors") else source.embed
    with tqdm(total=len(texts), unit=" text", desc="embedding", disable=not progress, leave=False) as bar:
        return embed(texts, bar.update)


def fit_encoder_features(config: EncoderConfig, texts: list[str]):
    """(EncoderFeatures standardised on ``texts``, their embeddings), through the embedding cache."""
    from train.models.embeddings import Embedder, EmbeddingCache, EncoderFeatures

    embedder = Embedder(config.model, config.prefix, config.max_length, config.batch_size, config.threads)
    cache = EmbeddingCache(embedder) if config.cache else None
    vectors = embed_with_progress(cache or embedder, texts, progress=True)
    return EncoderFeatures.fit(embedder, vectors, config.weight, cache), vectors


def fit_features_model(config, train_texts: list[str], train_truth: np.ndarray, dev_texts: list[str],
                       dev_truth: np.ndarray) -> tuple[TfidfScorer, np.ndarray, dict]:
    """Family tfidf or tfidf-encoder: (scorer, dev scores, what was tuned on dev).

    With an encoder whose ``weight`` is null, one model is fitted per weight of
    ``weight_grid`` and the one with the best dev micro-F1 (at thresholds tuned on dev) is
    kept; embeddings are computed once for all of them."""
    from train.models.metrics import calibrate_thresholds, micro_f1

    if config.family == "tfidf":
        scorer = fit_tfidf(config.tfidf, config.seed, train_texts, train_truth)
        return scorer, scorer.scores(dev_texts), {}
    dense, vectors = fit_encoder_features(config.encoder, train_texts)
    dev_vectors = embed_with_progress(dense, dev_texts, progress=True)
    candidates = (config.encoder.weight,) if config.encoder.weight is not None else config.encoder.weight_grid
    best, tried = None, {}
    for weight in candidates:
        dense.weight = weight
        scorer = fit_tfidf(config.tfidf, config.seed, train_texts, train_truth, dense, vectors, config.encoder.model)
        dev_scores = scorer.scores(dev_texts, vectors=dev_vectors)
        tried[weight] = micro_f1(dev_truth.astype(bool), dev_scores >= calibrate_thresholds(
            dev_truth, dev_scores, config.threshold_min_support))
        if best is None or tried[weight] > tried[best[0]]:
            best = (weight, scorer, dev_scores)
    weight, scorer, dev_scores = best
    scorer.dense.weight = weight
    return scorer, dev_scores, {"encoder_weight": weight, "encoder_weight_dev_micro_f1": tried}


def fit_tfidf(config: TfidfConfig, seed: int, texts: list[str], truth: np.ndarray, dense=None,
              vectors: np.ndarray | None = None, encoder_name: str = "") -> TfidfScorer:
    """Fit on the labels that have at least one positive example (the others cannot be learnt).

    ``dense`` (EncoderFeatures) and ``vectors`` (the training texts' embeddings) add the
    encoder block of family "tfidf-encoder"."""
    import scipy.sparse
    from sklearn.linear_model import LogisticRegression
    from tqdm.auto import tqdm

    trained = np.flatnonzero(truth.any(axis=0) & ~truth.all(axis=0))
    if trained.size == 0:
        raise InputError("the training split has no label with both positive and negative rows: nothing to learn")
    ngrams = {"words": tuple(config.word_ngrams), "chars": tuple(config.char_ngrams)}
    vectorizers = {name: _vectorizer(analyzer, ngrams[name], config) for name, analyzer in ANALYSERS.items()}
    try:
        blocks = [vectorizers[name].fit_transform(texts) for name in ANALYSERS]
    except ValueError as err:  # e.g. "empty vocabulary" when min_df prunes everything
        raise InputError(f"cannot build TF-IDF features from the training texts ({err})") from None
    if dense is not None:
        blocks.append(scipy.sparse.csr_matrix(dense.transform(vectors)))
    matrix = scipy.sparse.hstack(blocks).tocsr()
    coef = np.zeros((matrix.shape[1], trained.size), dtype=np.float32)
    intercept = np.zeros(trained.size, dtype=np.float32)
    for column, label in enumerate(tqdm(trained, desc="one-vs-rest", unit=" label", leave=False)):
        model = LogisticRegression(C=config.C, max_iter=config.max_iter, solver="liblinear", random_state=seed,
                                   class_weight=None if config.class_weight == "none" else config.class_weight)
        model.fit(matrix, truth[:, label].astype(int))
        coef[:, column] = model.coef_[0]
        intercept[column] = model.intercept_[0]
    return TfidfScorer(vectorizers, coef, intercept, trained, truth.shape[1], ngrams, dense, encoder_name)


def save_tfidf(scorer: TfidfScorer, folder: Path) -> None:
    from safetensors.numpy import save_file

    settings = {"trained": scorer.trained.tolist(), "n_labels": scorer.n_labels, "analysers": {}}
    tensors = {"coef": scorer.coef, "intercept": scorer.intercept}
    for name in ANALYSERS:
        vectorizer = scorer.vectorizers[name]
        terms = [""] * len(vectorizer.vocabulary_)
        for term, index in vectorizer.vocabulary_.items():
            terms[index] = term
        settings["analysers"][name] = {"ngrams": list(scorer.ngrams[name]), "terms": terms}
        tensors[f"idf_{name}"] = vectorizer.idf_.astype(np.float32)
    if scorer.dense is not None:
        embedder = scorer.dense.embedder
        settings["encoder"] = {"model": scorer.encoder_name, "weights_sha256": embedder.fingerprint,
                               "prefix": embedder.prefix, "max_length": embedder.max_length,
                               "batch_size": embedder.batch_size, "weight": scorer.dense.weight,
                               "pooling": "mean"}
        tensors["encoder_mean"], tensors["encoder_scale"] = scorer.dense.mean, scorer.dense.scale
    (folder / SETTINGS_FILE).write_text(json.dumps(settings, ensure_ascii=False), encoding="utf-8")
    save_file(tensors, str(folder / WEIGHTS_FILE))


def load_tfidf(folder: Path, meta: ModelMeta, threads: int = 0) -> TfidfScorer:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
        tensors = load_file(str(folder / WEIGHTS_FILE))
        vectorizers, ngrams = {}, {}
        for name, analyzer in ANALYSERS.items():
            part = settings["analysers"][name]
            ngrams[name] = tuple(part["ngrams"])
            vectorizer = _vectorizer(analyzer, ngrams[name], vocabulary={t: i for i, t in enumerate(part["terms"])})
            vectorizer.idf_ = tensors[f"idf_{name}"]
            vectorizers[name] = vectorizer
        scorer = TfidfScorer(vectorizers, tensors["coef"], tensors["intercept"], np.asarray(settings["trained"]),
                             int(settings["n_labels"]), ngrams)
        encoder = settings.get("encoder")
        dense_size = len(tensors["encoder_mean"]) if encoder else 0
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as err:
        raise InputError(f"{folder}: cannot load the TF-IDF model ({quote(err)})") from None
    if scorer.n_labels != len(meta.labels) or scorer.coef.shape[0] != sum(
            len(v.vocabulary) for v in vectorizers.values()) + dense_size:
        raise InputError(f"{folder}: the TF-IDF weights do not match its vocabularies and labels")
    if encoder:
        scorer.dense, scorer.encoder_name = _load_encoder(folder, encoder, tensors, threads), encoder["model"]
    return scorer


def _load_encoder(folder: Path, encoder: dict, tensors: dict, threads: int):
    """The encoder a tfidf-encoder model was trained with, or one line saying how to get it."""
    from annotate.errors import PropaError
    from train.models.embeddings import Embedder, EncoderFeatures

    try:
        embedder = Embedder(encoder["model"], encoder["prefix"], int(encoder["max_length"]),
                            int(encoder["batch_size"]), threads)
    except PropaError as err:
        raise type(err)(f"{folder}: its encoder is missing: {err}") from None
    if embedder.fingerprint != encoder["weights_sha256"]:
        raise InputError(f"{folder}: the encoder '{encoder['model']}' found here has other weights (sha256 "
                         f"{embedder.fingerprint[:12]}) than the one it was trained with "
                         f"({encoder['weights_sha256'][:12]}); retrain, or point it at the original encoder")
    return EncoderFeatures(embedder, tensors["encoder_mean"], tensors["encoder_scale"], float(encoder["weight"]))
