"""Inputs -> plain view records, one per article: what a report page shows, and nothing else.

Three inputs, one record: stored predictions (sentence id -> the prediction `propa preannotate`
writes, :mod:`annotate.studio.predictions`), predictions made on the fly by a callable (the CLI's
model), or the rows of a pull (:mod:`annotate.studio.pulled`). INPUT's sentences (a sentence corpus,
or articles split here: :func:`annotate.text.corpus.read_sentences`) give the text, the offsets, the
article's title, outlet and date; a sentence with no prediction or annotation shows as plain text.

Everything is checked against the taxonomy and the text: an unknown technique, kind, reliability or
control, a span that is not in its sentence, and predictions (or rows) whose sentence ids are not in
INPUT are errors naming the input and the sentence. Articles stream: one in memory at a time, besides
the predictions themselves.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping

from annotate.errors import InputError, quote
from annotate.taxonomy import CUE_LABELS, SOURCE_KIND, SOURCE_LABELS, SOURCE_RELIABILITY, Taxonomy
from annotate.text.corpus import Sentence

ANNOTATION_RULE = "annotation"  # the rule of a source mention an annotator marked


@dataclass(frozen=True)
class TechniqueMark:
    """A technique found in a sentence (sentence level: the choices of Label Studio)."""

    technique: str  # taxonomy id
    origin: str  # "model", "rule:<cue rule>", or the annotators who chose it
    score: float | None = None  # the model's score; for annotations, the share of annotators who chose it


@dataclass(frozen=True)
class CueMark:
    """A passage that cues a technique (offsets into the sentence's text)."""

    start: int
    end: int
    technique: str
    origin: str


@dataclass(frozen=True)
class SourceMark:
    """A source mention (offsets into the sentence's text) with its kind and reliability."""

    start: int
    end: int
    text: str
    kind: str
    reliability: str
    origin: str
    rule: str = ""  # the attribution rule that found it, or "annotation"
    entity: str = ""  # the article's source it names ("s1"...), "" when anonymous or not grouped
    entity_name: str = ""
    self_citation: bool = False


@dataclass(frozen=True)
class SentenceView:
    id: str
    paragraph_index: int  # 0 is the title
    start: int
    end: int
    text: str
    techniques: tuple[TechniqueMark, ...] = ()
    cues: tuple[CueMark, ...] = ()
    sources: tuple[SourceMark, ...] = ()
    score: float | None = None  # the prediction's score (the model's confidence in its whole answer)
    seen: bool = False  # a prediction or an annotation covers it


@dataclass
class ArticleView:
    id: str
    title: str
    outlet: str
    date: str
    url: str
    sentences: list[SentenceView]
    origin: str  # "predictions" or "annotations"
    model_version: str = ""
    annotators: tuple[str, ...] = ()
    has_sources: bool = True  # False: predictions made without the attribution rules (no profile)
    profile: dict | None = None  # annotate.sources.profile.ArticleProfile.to_dict()
    page: str = field(default="")  # the page's file name, under articles/

    def __post_init__(self) -> None:
        self.page = self.page or page_name(self.id)

    def technique_counts(self) -> Counter:
        """Sentences per technique id."""
        return Counter(mark.technique for s in self.sentences for mark in s.techniques)

    @property
    def month(self) -> str:
        """"YYYY-MM" of the date, "" when there is no readable date."""
        return self.date[:7] if _DATE.match(self.date) else ""


_DATE = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def page_name(article_id: str) -> str:
    """A file name for an article's page: its id when that is a plain, safe name, else its id made
    safe plus a short hash of it (two ids never share a page)."""
    import hashlib

    safe = _SAFE.sub("-", article_id).strip(".-")[:80]
    if safe == article_id and safe.lower() != "index":
        return f"{safe}.html"
    return f"{safe or 'article'}-{hashlib.sha1(article_id.encode('utf-8')).hexdigest()[:8]}.html"


# -- articles from a stream of sentences ------------------------------------------------

def by_article(sentences: Iterable[Sentence]) -> Iterator[list[Sentence]]:
    """The sentences of each article, in reading order; an article whose sentences are not together
    (or two articles with one id) is an error."""
    seen: set[str] = set()
    current: list[Sentence] = []
    for sentence in sentences:
        if current and sentence.article_id != current[0].article_id:
            yield current
            current = []
        if not current:
            if sentence.article_id in seen:
                raise InputError(f"article {quote(sentence.article_id)}: its sentences are not together in INPUT "
                                 "(or two articles have this id)")
            seen.add(sentence.article_id)
        current.append(sentence)
    if current:
        yield current


def article_of(sentence_id: str) -> str:
    """The article id of a sentence id ("<article id>:<start>-<end>")."""
    return sentence_id.rsplit(":", 1)[0]


# -- predictions -------------------------------------------------------------------------

def predicted_articles(sentences: Iterable[Sentence], predictions: Mapping[str, dict], taxonomy: Taxonomy,
                       source: str, registry=None, ratings=()) -> Iterator[ArticleView]:
    """Articles with their stored predictions (sentence id -> prediction); ``source`` names the
    predictions in errors. Predictions of sentences INPUT lacks are an error: at the article they
    name when INPUT has it (another version of the article), at the end otherwise."""
    for group, ids in _matched(sentences, predictions, source, ("prediction for sentence", "predictions for "
                                                                "sentences", "were they made from another INPUT?")):
        yield article_from_predictions(group, {s.id: predictions[s.id] for s in group if s.id in ids}, taxonomy,
                                       source, registry, ratings)


def modelled_articles(sentences: Iterable[Sentence], predict: Callable[[list[Sentence]], list[dict]],
                      taxonomy: Taxonomy, source: str, registry=None, ratings=()) -> Iterator[ArticleView]:
    """Articles with the predictions ``predict`` makes for each article's sentences."""
    for group in by_article(sentences):
        records = {str(p["sentence_id"]): p for p in predict(group)}
        yield article_from_predictions(group, records, taxonomy, source, registry, ratings)


def article_from_predictions(group: list[Sentence], records: Mapping[str, dict], taxonomy: Taxonomy, source: str,
                             registry=None, ratings=()) -> ArticleView:
    views = []
    versions: set[str] = set()
    for sentence in group:
        record = records.get(sentence.id)
        if record is None:
            views.append(_plain(sentence))
            continue
        where = f"{source}: sentence {sentence.id}"
        if not isinstance(record, dict) or not isinstance(record.get("result"), list):
            raise InputError(f"{where}: not a prediction written by `propa preannotate` (no 'result' list)")
        versions.add(str(record.get("model_version") or ""))
        views.append(sentence_from_prediction(sentence, record, taxonomy, where))
    if len(versions) > 1:
        raise InputError(f"{source}: predictions of several model versions in article {quote(group[0].article_id)} "
                         f"({', '.join(sorted(versions))})")
    version = next(iter(versions), "")
    has_sources = "sources@" in version  # train.predictor.sources_version: the attribution rules ran
    return _article(group, views, "predictions", registry, ratings, model_version=version, has_sources=has_sources)


def sentence_from_prediction(sentence: Sentence, record: dict, taxonomy: Taxonomy, where: str) -> SentenceView:
    """One prediction (Label Studio's result items, ``scores``, ``score``) -> the sentence's marks."""
    from annotate.studio.predictions import ORIGIN

    text = sentence.text
    scores = record.get("scores") or {}
    techniques: list[TechniqueMark] = []
    cues: list[CueMark] = []
    spans: dict[str, dict] = {}
    choices: list[tuple[str, str, list]] = []
    for number, item in enumerate(record["result"]):
        if not isinstance(item, dict):
            raise InputError(f"{where}: result {number} is not an object")
        name, value = item.get("from_name"), item.get("value") or {}
        place = f"{where}, result {number} ({name})"
        origin = str(item.get(ORIGIN) or "")
        if name in taxonomy.category_by_control:
            for technique in value.get("choices") or []:
                _check_technique(technique, taxonomy, place)
                score = scores.get(technique)
                techniques.append(TechniqueMark(technique, _origin_of(origin, technique),
                                                float(score) if score is not None else None))
        elif name == CUE_LABELS:
            start, end = _offsets(value, text, place)
            for technique in value.get("labels") or []:
                _check_technique(technique, taxonomy, place)
                cues.append(CueMark(start, end, technique, origin))
        elif name == SOURCE_LABELS:
            start, end = _offsets(value, text, place)
            meta = (item.get("meta") or {}).get("text") or []
            spans[str(item.get("id", f"#{number}"))] = {"start": start, "end": end, "origin": origin,
                                                        "meta": meta, "kind": "", "reliability": ""}
        elif name in (SOURCE_KIND, SOURCE_RELIABILITY):
            choices.append((name, str(item.get("id", "")), place, value.get("choices") or []))
        else:
            raise InputError(f"{place}: unknown control {quote(name)}; was the prediction made with {taxonomy.path}?")
    for name, region, place, picked in choices:
        field_name, allowed = (("kind", taxonomy.kind_ids) if name == SOURCE_KIND
                               else ("reliability", taxonomy.reliability_ids))
        for choice in picked:
            if choice not in allowed:
                raise InputError(f"{place}: {field_name} {quote(choice)} is not in {taxonomy.path}")
        if region not in spans:
            raise InputError(f"{place}: a source {field_name} attached to no source span (region {quote(region)})")
        spans[region][field_name] = picked[0] if picked else ""
    sources = [_source_from_prediction(span, text) for span in spans.values()]
    score = record.get("score")
    return SentenceView(sentence.id, sentence.paragraph_index, sentence.start, sentence.end, text,
                        _in_taxonomy_order(techniques, taxonomy), tuple(sorted(cues, key=_span_key)),
                        tuple(sorted(sources, key=_span_key)), float(score) if score is not None else None, True)


_ORIGIN_PARTS = re.compile(r"(rule:attribution/(?P<rule>\S+))|(entity:(?P<entity>\S+))|(?P<self>self-citation)")


def _source_from_prediction(span: dict, text: str) -> SourceMark:
    """A source span of :func:`annotate.studio.predictions.source_results`, its origin read back:
    "rule:attribution/<rule> [registry:<id>] [entity:<id>] [self-citation]", and the entity's name
    from the span's meta ("source s1: <name>")."""
    rule = entity = ""
    self_citation = False
    for match in _ORIGIN_PARTS.finditer(span["origin"]):
        rule = match.group("rule") or rule
        entity = match.group("entity") or entity
        self_citation = self_citation or bool(match.group("self"))
    name = ""
    for line in span["meta"]:
        if isinstance(line, str) and entity and line.startswith(f"source {entity}: "):
            name = line[len(f"source {entity}: "):]
    return SourceMark(span["start"], span["end"], text[span["start"]:span["end"]], span["kind"] or "other",
                      span["reliability"] or "unknown", span["origin"], rule, entity, name, self_citation)


def _origin_of(origin: str, technique: str) -> str:
    """A choices item's origin for one of its labels: "model", or "A=model; B=rule:x" per label."""
    if "=" not in origin:
        return origin or "model"
    for part in origin.split(";"):
        label, _, where = part.strip().partition("=")
        if label == technique:
            return where
    return "model"


# -- annotations (a pull) ------------------------------------------------------------------

def annotated_articles(sentences: Iterable[Sentence], rows: Mapping[str, dict], taxonomy: Taxonomy, source: str,
                       registry=None, ratings=()) -> Iterator[ArticleView]:
    """Articles with the annotations of a pull (sentence id -> row of `propa pull`): the techniques the
    annotators' majority chose, every annotator's cue spans and source mentions (a mention marked by
    several annotators once, with the kind and reliability most of them gave)."""
    for group, _ in _matched(sentences, rows, source, ("annotations of sentence", "annotated sentences",
                                                         "was the project pushed from another INPUT?")):
        views = []
        annotators: set[str] = set()
        for sentence in group:
            row = rows.get(sentence.id)
            if row is None:
                views.append(_plain(sentence))
                continue
            view, names = sentence_from_row(sentence, row, taxonomy, f"{source}: sentence {sentence.id}")
            views.append(view)
            annotators.update(names)
        yield _article(group, views, "annotations", registry, ratings, annotators=tuple(sorted(annotators)),
                       has_sources=any(v.seen for v in views))


def sentence_from_row(sentence: Sentence, row: dict, taxonomy: Taxonomy, where: str) -> tuple[SentenceView, list]:
    """A row of `propa pull` -> the sentence's marks, and the names of its annotators."""
    if str(row.get("text", sentence.text)) != sentence.text:
        raise InputError(f"{where}: the annotated text differs from INPUT's sentence {quote(sentence.text)}")
    entries = [e for e in row.get("annotations") or [] if isinstance(e, dict)]
    names = [str(e.get("annotator") or "?") for e in entries]
    chose: dict[str, list[str]] = {}
    cues: dict[tuple[int, int, str], list[str]] = {}
    sources: dict[tuple[int, int], list[tuple[str, str, str]]] = {}
    for name, entry in zip(names, entries):
        for technique in entry.get("labels") or []:
            _check_technique(technique, taxonomy, f"{where}, annotation by {name}")
            chose.setdefault(technique, []).append(name)
        for span in entry.get("spans") or []:
            place = f"{where}, a span by {name}"
            start, end = _offsets(span, sentence.text, place)
            label = span.get("label")
            if label == taxonomy.sources.label.id:
                sources.setdefault((start, end), []).append((name, str(span.get("kind") or ""),
                                                             str(span.get("reliability") or "")))
            else:
                _check_technique(label, taxonomy, place)
                cues.setdefault((start, end, label), []).append(name)
    techniques = []
    for technique in row.get("labels") or []:
        _check_technique(technique, taxonomy, where)
        who = chose.get(technique, [])
        techniques.append(TechniqueMark(technique, ", ".join(who), len(who) / len(entries) if entries else None))
    source_marks = []
    for (start, end), marked in sources.items():
        kind = _majority([k for _, k, _ in marked]) or "other"
        reliability = _majority([r for _, _, r in marked]) or "unknown"
        if kind not in taxonomy.kind_ids or reliability not in taxonomy.reliability_ids:
            raise InputError(f"{where}: source {quote(sentence.text[start:end])} has kind {quote(kind)} and "
                             f"reliability {quote(reliability)}; not both in {taxonomy.path}")
        source_marks.append(SourceMark(start, end, sentence.text[start:end], kind, reliability,
                                       ", ".join(n for n, _, _ in marked), ANNOTATION_RULE))
    view = SentenceView(sentence.id, sentence.paragraph_index, sentence.start, sentence.end, sentence.text,
                        _in_taxonomy_order(techniques, taxonomy),
                        tuple(sorted((CueMark(s, e, label, ", ".join(who)) for (s, e, label), who in cues.items()),
                                     key=_span_key)),
                        tuple(sorted(source_marks, key=_span_key)), None, True)
    return view, names


def _majority(values: list[str]) -> str:
    told = Counter(v for v in values if v)
    return told.most_common(1)[0][0] if told else ""


# -- shared ------------------------------------------------------------------------------

def _matched(sentences: Iterable[Sentence], records: Mapping[str, object], source: str,
             words: tuple[str, str, str]) -> Iterator[tuple[list[Sentence], set[str]]]:
    """INPUT's articles, each with the ids of its sentences that ``records`` (by sentence id) cover.
    Records of sentences INPUT lacks are an error: at the article they name when INPUT has it
    (another version of the article), at the end otherwise. ``words``: how the error names one
    record, several, and what it asks."""
    one, several, question = words
    remaining: dict[str, set[str]] = {}
    for sentence_id in records:
        remaining.setdefault(article_of(sentence_id), set()).add(sentence_id)
    for group in by_article(sentences):
        ids = remaining.pop(group[0].article_id, set())
        left = ids - {s.id for s in group}
        if left:
            raise InputError(f"{source}: {one} {quote(min(left))}, which INPUT's article "
                             f"{quote(group[0].article_id)} does not have (was the article changed since?)")
        yield group, ids
    if remaining:
        first = min(min(ids) for ids in remaining.values())
        count = sum(len(ids) for ids in remaining.values())
        raise InputError(f"{source}: {count} {several} that are not in INPUT (first: {quote(first)}); {question}")


def _plain(sentence: Sentence) -> SentenceView:
    return SentenceView(sentence.id, sentence.paragraph_index, sentence.start, sentence.end, sentence.text)


def _article(group: list[Sentence], views: list[SentenceView], origin: str, registry, ratings,
             **provenance) -> ArticleView:
    first = group[0]
    title = first.title or " ".join(v.text for v in views if v.paragraph_index == 0)
    article = ArticleView(first.article_id, title, first.outlet, first.date, first.url, views, origin, **provenance)
    if article.has_sources:
        article.profile = sourcing_profile(article, registry, ratings)
    return article


def sourcing_profile(article: ArticleView, registry=None, ratings=()) -> dict:
    """The article's sourcing profile (:func:`annotate.sources.profile.profile_article`) from the source
    mentions of its sentences, as a dict."""
    from annotate.sources.attribution.record import Attribution
    from annotate.sources.profile import profile_article
    from annotate.text.segment import Span

    sentences = [(s.paragraph_index, [Attribution(Span(m.start, m.end, m.text), None, m.kind, m.rule,
                                                  self_citation=m.self_citation, entity=m.entity,
                                                  entity_name=m.entity_name)
                                      for m in s.sources])
                 for s in article.sentences]
    profile = profile_article(article.id, article.title, sentences, registry, article.outlet, article.url, ratings,
                              [s.text for s in article.sentences])
    return profile.to_dict()


def _check_technique(technique: object, taxonomy: Taxonomy, where: str) -> None:
    if technique not in taxonomy.technique_by_id:
        raise InputError(f"{where}: technique {quote(technique)} is not in {taxonomy.path}")


def _offsets(value: dict, text: str, where: str) -> tuple[int, int]:
    try:
        start, end = int(value["start"]), int(value["end"])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{where}: a span without valid start/end offsets") from None
    expected = value.get("text")
    if not 0 <= start < end <= len(text) or (expected is not None and text[start:end] != expected):
        raise InputError(f"{where}: span {start}-{end} ({quote(expected)}) is not in the sentence's text "
                         f"({quote(text[start:end])}); was it made from another INPUT?")
    return start, end


def _span_key(mark) -> tuple:
    return (mark.start, -mark.end)


def _in_taxonomy_order(marks: list[TechniqueMark], taxonomy: Taxonomy) -> tuple[TechniqueMark, ...]:
    order = {name: i for i, name in enumerate(taxonomy.label_names)}
    unique = {mark.technique: mark for mark in marks}
    return tuple(sorted(unique.values(), key=lambda m: order[m.technique]))
