"""A learned classifier for the kind of a source mention, beside the rules.

The rules of ``annotate.sources.attribution.kind_of`` read a mention's words against word lists;
they miss what a list cannot hold ("l'opérateur Valnergie" is a company, "la Bourse de
l'énergie" is not an official body). This model learns the kind from the gold set's
mentions: character 2-5-grams and words of the mention, plus the rules' own answer as a
feature (a token among the words, and one-hot on its own), into a logistic regression
(scikit-learn). It is trained when first needed, in about a second, from
``corpus/gold/gold_fr.jsonl`` (the development part of the gold set;
the held-out articles are never used), plus, with ``--kinds-from``, the source spans that
annotators marked and typed in Label Studio (what `propa pull` wrote): their corrections
teach the model. Nothing is saved: the examples are the model.

It never overrides the registry (a registered source's kind is the user's editorial
choice), a pronoun (which takes the kind of what it refers to), nor an agentless form; it
neither makes nor unmakes state media (the registry's or the mention's own words' to say).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from annotate.defaults import gold_dir
from annotate.errors import InputError, quote

GOLD = gold_dir() / "gold_fr.jsonl"
KIND_CHOICES = ("learned", "rules")
KINDS_HELP = ("Kind of a named source the registry does not know: 'learned' (a classifier trained on the "
              "project's gold set; better on held-out text) or 'rules' (word lists only).")


def _features(mention: str, rule_kind: str) -> str:
    return f"{mention} RULE_{rule_kind}"


def _rule_kinds(features) -> list[list[str]]:
    """The rules' kind of each mention (what :func:`_features` appended), as one column: one-hot
    encoded beside the n-grams, it weighs as much as all of a mention's n-grams together, so that
    the model corrects the rules where the examples show them wrong rather than outvoting them
    with the letters of a name (bench/sources.py, 5 folds on the development gold: 0.917 with the
    rules' kind as a single token among the words, 0.930 with it one-hot as well)."""
    return [[text.rsplit(" RULE_", 1)[-1]] for text in features]


class KindModel:
    """``predict(mention, rule_kind)`` -> kind."""

    def __init__(self, pipeline, examples: int, source: str, fingerprint: str = ""):
        self.pipeline = pipeline
        self.examples = examples
        self.source = source
        self.fingerprint = fingerprint  # what it was trained on and how: changes when either does
        self._cache: dict[tuple[str, str], str] = {}

    @classmethod
    def train(cls, examples: list[tuple[str, str]], source: str = "", registry=None) -> "KindModel":
        """Train on (mention text, kind) pairs; the rules' kind of each mention is a feature."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union
        from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

        from annotate.sources.attribution import kind_of

        if len({kind for _, kind in examples}) < 2:
            raise InputError(f"{source or 'kind model'}: needs mentions of at least two kinds to learn from")
        pipeline = make_pipeline(
            make_union(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                       TfidfVectorizer(analyzer="word", token_pattern=r"[\w-]+"),
                       make_pipeline(FunctionTransformer(_rule_kinds), OneHotEncoder(handle_unknown="ignore"))),
            LogisticRegression(C=30, max_iter=3000))
        pipeline.fit([_features(m, kind_of(m, registry)) for m, _ in examples], [k for _, k in examples])
        return cls(pipeline, len(examples), source, _fingerprint(examples))

    def predict(self, mention: str, rule_kind: str) -> str:
        key = (mention, rule_kind)
        if key not in self._cache:
            kind = str(self.pipeline.predict([_features(mention, rule_kind)])[0])
            if "state_media" in (kind, rule_kind):
                # Who directs a newsroom is for the registry or the mention's own words to say
                # (taxonomy: state_media), not for the letters of a name: trained on the state
                # television the gold articles name, the model took "la radio locale" for one.
                kind = rule_kind
            self._cache[key] = kind
        return self._cache[key]


def _fingerprint(examples: list[tuple[str, str]]) -> str:
    import hashlib
    import inspect
    import sys

    digest = hashlib.sha256(inspect.getsource(sys.modules[__name__]).encode())
    for mention, kind in sorted(examples):
        digest.update(f"{mention}\t{kind}\n".encode())
    return f"kinds:{digest.hexdigest()[:12]}"


def gold_examples(path: Path, articles: set[str] | None = None) -> list[tuple[str, str]]:
    """(mention, kind) pairs of a gold file (what `propa gold build` writes), pronouns left out."""
    from annotate.sources.attribution import PRONOUNS
    from annotate.quality.gold import read_gold_rows

    return [(source["mention"]["text"], source["kind"]) for row in read_gold_rows(path)
            if articles is None or row["article_id"] in articles
            for source in row.get("sources", [])
            if source.get("mention") and source["mention"]["text"].lower() not in PRONOUNS]


def annotated_examples(path: Path) -> list[tuple[str, str]]:
    """(mention, kind) pairs from typed source spans: a `propa pull` folder or its
    annotations.jsonl (every annotator's source spans that have a kind), or a gold file."""
    from annotate.files import jsonl_records
    from annotate.studio.pulled import rows_file

    path = rows_file(path, "expected what `propa pull` wrote, or a gold file")
    examples = []
    for where, record in jsonl_records(path):
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object")
        if "annotations" in record:
            for annotation in record["annotations"] or []:
                for span in annotation.get("spans", []):
                    if span.get("kind") and span.get("text"):
                        examples.append((span["text"], span["kind"]))
        elif "sources" in record:
            examples += [(s["mention"]["text"], s["kind"]) for s in record["sources"] if s.get("mention")]
        else:
            raise InputError(f"{where}: neither a row of `propa pull` (annotations) nor a gold row (sources)")
    return examples


@lru_cache(maxsize=1)
def default_kind_model() -> KindModel:
    """The model trained on the project's gold set (development articles only)."""
    if not GOLD.is_file():
        raise InputError(f"{GOLD}: the gold set the kind model learns from is missing; use --kinds rules")
    return KindModel.train(gold_examples(GOLD), source=str(GOLD))


def kind_model(choice: str | None, also_from: tuple[Path, ...] | list[Path] = ()) -> KindModel | None:
    """``learned`` -> the model of the project's gold set, plus the typed spans of ``also_from``;
    ``rules`` -> None (kinds from the rules alone)."""
    if choice in (None, "rules"):
        if also_from:
            raise InputError("--kinds-from needs --kinds learned")
        return None
    if choice != "learned":
        raise InputError(f"--kinds: expected one of {', '.join(KIND_CHOICES)}, got {quote(choice)}")
    if not also_from:
        return default_kind_model()
    extra = [example for path in also_from for example in annotated_examples(path)]
    if not extra:
        raise InputError(f"{', '.join(map(str, also_from))}: no typed source span to learn from")
    base = gold_examples(GOLD) if GOLD.is_file() else []
    return KindModel.train(base + extra, source=", ".join([str(GOLD)] * bool(base) + [str(p) for p in also_from]))
