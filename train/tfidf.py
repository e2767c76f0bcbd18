"""The baseline family: TF-IDF (word and character n-grams) + one-vs-rest logistic regression.

Fitted with scikit-learn, then saved as plain data, not pickle: the two vocabularies and
the vectoriser settings in ``tfidf.json``, the idf vectors and the logistic regression
weights in ``tfidf.safetensors``. Loading runs no code from the folder and is fast
(no pickle, no skops type registry to import); scoring is one sparse product.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from annotate.errors import InputError
from train.config import TfidfConfig
from train.model import ModelMeta

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
    """Scores = sigmoid(tfidf(text) . W + b) for the trained labels; 0 for the others."""

    def __init__(self, vectorizers: dict, coef: np.ndarray, intercept: np.ndarray, trained: np.ndarray,
                 n_labels: int, ngrams: dict[str, tuple[int, int]]):
        self.vectorizers = vectorizers
        self.coef = coef  # (features, trained labels)
        self.intercept = intercept
        self.trained = trained  # column index of each trained label
        self.n_labels = n_labels
        self.ngrams = ngrams

    def features(self, texts: list[str]):
        import scipy.sparse

        return scipy.sparse.hstack([self.vectorizers[name].transform(texts) for name in ANALYSERS]).tocsr()

    def scores(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.n_labels), dtype=np.float32)
        logits = self.features(texts) @ self.coef + self.intercept
        # Untrained labels (no positive example in training) score 0: they are never predicted.
        out[:, self.trained] = 1.0 / (1.0 + np.exp(-np.asarray(logits)))
        return out


def fit_tfidf(config: TfidfConfig, seed: int, texts: list[str], truth: np.ndarray) -> TfidfScorer:
    """Fit on the labels that have at least one positive example (the others cannot be learnt)."""
    import scipy.sparse
    from sklearn.linear_model import LogisticRegression
    from tqdm.auto import tqdm

    trained = np.flatnonzero(truth.any(axis=0) & ~truth.all(axis=0))
    if trained.size == 0:
        raise InputError("the training split has no label with both positive and negative rows: nothing to learn")
    ngrams = {"words": tuple(config.word_ngrams), "chars": tuple(config.char_ngrams)}
    vectorizers = {name: _vectorizer(analyzer, ngrams[name], config) for name, analyzer in ANALYSERS.items()}
    try:
        matrix = scipy.sparse.hstack([vectorizers[name].fit_transform(texts) for name in ANALYSERS]).tocsr()
    except ValueError as err:  # e.g. "empty vocabulary" when min_df prunes everything
        raise InputError(f"cannot build TF-IDF features from the training texts ({err})") from None
    coef = np.zeros((matrix.shape[1], trained.size), dtype=np.float32)
    intercept = np.zeros(trained.size, dtype=np.float32)
    for column, label in enumerate(tqdm(trained, desc="one-vs-rest", unit="label", leave=False)):
        model = LogisticRegression(C=config.C, max_iter=config.max_iter, solver="liblinear", random_state=seed,
                                   class_weight=None if config.class_weight == "none" else config.class_weight)
        model.fit(matrix, truth[:, label].astype(int))
        coef[:, column] = model.coef_[0]
        intercept[column] = model.intercept_[0]
    return TfidfScorer(vectorizers, coef, intercept, trained, truth.shape[1], ngrams)


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
    (folder / SETTINGS_FILE).write_text(json.dumps(settings, ensure_ascii=False), encoding="utf-8")
    save_file(tensors, str(folder / WEIGHTS_FILE))


def load_tfidf(folder: Path, meta: ModelMeta) -> TfidfScorer:
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
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as err:
        raise InputError(f"{folder}: cannot load the TF-IDF model ({err!r})") from None
    if scorer.n_labels != len(meta.labels) or scorer.coef.shape[0] != sum(
            len(v.vocabulary) for v in vectorizers.values()):
        raise InputError(f"{folder}: the TF-IDF weights do not match its vocabularies and labels")
    return scorer
