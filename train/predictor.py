"""Sentences -> Label Studio predictions: the one function batch pre-annotation (`propa preannotate`)
and the model backend (`propa serve`) share, so that both give the same prediction for the same
sentence and model.

A :class:`Predictor` joins what predicts: a model (the techniques, with their thresholds), the cue
rules (spans of technique cues) and the attribution rules (the sources a sentence cites, with their
kind and reliability). Its ``version`` is the ``model_version`` of every prediction it makes: the
model's, followed by the attribution rules' (``+sources@<hash>``) when sources are predicted, so a
change of either gives predictions of another version, never mixed with the earlier ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from annotate.cues import Cues, find_cues
from annotate.errors import InputError
from annotate.studio.predictions import build_prediction, source_results
from annotate.taxonomy import Taxonomy
from annotate.text.corpus import Sentence


def check_model_labels(model, taxonomy: Taxonomy) -> None:
    """A model whose labels are not the taxonomy's would write predictions nobody can review."""
    if list(model.labels) != list(taxonomy.label_names):
        missing = sorted(set(taxonomy.label_names) - set(model.labels))
        extra = sorted(set(model.labels) - set(taxonomy.label_names))
        detail = "; ".join(part for part in (f"not in the model: {', '.join(missing)}" if missing else "",
                                             f"not in the taxonomy: {', '.join(extra)}" if extra else "") if part)
        raise InputError(f"{model.path}: the model's labels differ from {taxonomy.path} "
                         f"({detail or 'same labels, another order'}); retrain it on data of this taxonomy")


def sources_version(registry, kinds=None, tagger=None) -> str:
    """The version of the attribution rules' predictions: the rules' code (every module of the
    package, by name), the word lists loaded, the registry file, the kind model (its code and
    examples) and the source-span tagger (its fingerprint), hashed."""
    import hashlib
    import importlib
    import inspect
    import pkgutil
    from pathlib import Path

    import annotate.sources.attribution as attribution

    digest = hashlib.sha256(inspect.getsource(attribution).encode())
    for name in sorted(module.name for module in pkgutil.iter_modules(attribution.__path__)):
        digest.update(inspect.getsource(importlib.import_module(f"{attribution.__name__}.{name}")).encode())
    digest.update(attribution.words().sha256.encode())  # the bytes of the word-list file read
    if registry is not None and registry.path:
        digest.update(Path(registry.path).read_bytes())
    digest.update((kinds.fingerprint if kinds is not None else "kinds:rules").encode())
    if tagger is not None:
        digest.update(tagger.fingerprint.encode())
    return f"sources@{digest.hexdigest()[:12]}"


def build_attributor(registry, kinds_choice: str = "learned", kinds_from=(), source_tagger=None, threads: int = 0):
    """An attributor: the rules, kinds learned or from the rules (``kinds_from``: typed spans to learn
    from too), and a source-span tagger folder (or None)."""
    from annotate.sources.attribution import Attributor
    from annotate.sources.kinds import kind_model

    tagger = None
    if source_tagger is not None:
        from train.models.span_tagger import SpanTagger

        tagger = SpanTagger.load(source_tagger, threads)
    return Attributor(registry, kinds=kind_model(kinds_choice, tuple(kinds_from)), tagger=tagger)


@dataclass
class Predictor:
    """A model (or None: sources only), the cue rules (or None) and an attributor (or None)."""

    taxonomy: Taxonomy
    model: object | None = None
    cues: Cues | None = None
    attributor: object | None = None
    version: str = field(init=False)
    thresholds: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        if self.model is None and self.attributor is None:
            raise InputError("nothing to pre-annotate with: give a model, or ask for sources")
        parts = []
        self.thresholds = {}
        if self.model is not None:
            check_model_labels(self.model, self.taxonomy)
            parts.append(self.model.model_version)
            self.thresholds = dict(zip(self.model.labels, self.model.meta.thresholds))
        if self.attributor is not None:
            parts.append(sources_version(self.attributor.registry, self.attributor.kinds,
                                         getattr(self.attributor, "tagger", None)))
        self.version = "+".join(parts)

    def forget(self) -> None:
        """Start the next sentences as a new article: what the attributor remembers of the article
        it read last (the source a later "il" refers to) is dropped."""
        if self.attributor is not None and hasattr(self.attributor, "article"):
            self.attributor.article = None

    def predict(self, sentences: Sequence[Sentence], batch_size: int | None = None) -> list[dict]:
        """One prediction per sentence, in order (Label Studio's format, plus ``sentence_id`` and the
        scores): the techniques above their thresholds, the cue spans, the sources."""
        if not sentences:
            return []
        model, attributor = self.model, self.attributor
        scores = model.scores([s.text for s in sentences], batch_size=batch_size) if model is not None \
            else [()] * len(sentences)
        found = attributor([(s.article_id, s.text, s.outlet) for s in sentences]) if attributor is not None \
            else [[]] * len(sentences)
        labels = model.labels if model is not None else []
        predictions = []
        for sentence, row, attributions in zip(sentences, scores, found):
            hits = find_cues(sentence.text, self.cues) if self.cues is not None else []
            sources = source_results(attributions, self.taxonomy, attributor.registry) if attributor else []
            predictions.append(build_prediction(sentence.id, dict(zip(labels, map(float, row))), self.thresholds,
                                                hits, self.taxonomy, self.version, sources=sources))
        return predictions
