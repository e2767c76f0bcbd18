"""Inputs of the report tests (fixtures in conftest.py), made in the formats the real commands write:
predictions built by `annotate.studio.predictions.build_prediction` (what `propa preannotate` writes)
for an article with overlapping spans and a `<script>` in its text, and the gold set's labels as the
rows of a pull."""

from __future__ import annotations

import json
from pathlib import Path

from annotate.sources.attribution import Attribution
from annotate.studio.predictions import build_prediction, source_results
from annotate.cues import CueHit
from annotate.taxonomy import load_taxonomy
from annotate.text.articles import Article
from annotate.text.corpus import Sentence, split_article
from annotate.text.segment import Span
from tests.conftest import ROOT

TAXONOMY = load_taxonomy()
GOLD = ROOT / "corpus" / "gold"
VERSION = "tfidf@0123456789ab+sources@ba9876543210"
HOSTILE = "<script>alert('x')</script>"

ARTICLE = Article(
    id="a1", title=f"Le ministère dément {HOSTILE}",
    text=("Selon des sources proches du dossier, le ministère a détourné des millions. "
          "Le ministère de l'Intérieur a indiqué que tout allait bien. Une phrase sans rien.\n\n"
          "Ces traîtres, comme par hasard, ont fui le pays."),
    outlet="Agence X", date="2026-02-17", url="https://example.org/a1")


def sentences() -> list[Sentence]:
    return list(split_article(ARTICLE))


def find(sentence: Sentence, text: str) -> Span:
    start = sentence.text.index(text)
    return Span(start, start + len(text), text)


def predictions(version: str = VERSION) -> dict[str, dict]:
    """One prediction per sentence of ARTICLE: on the first body sentence two techniques, a cue span
    that overlaps the anonymous source's mention, and that source; on the second a named official
    source; on the last paragraph three techniques and two cue spans."""
    thresholds = {name: 0.5 for name in TAXONOMY.label_names}
    out = {}
    for sentence in sentences():
        scores = {name: 0.05 for name in TAXONOMY.label_names}
        hits, attributions = [], []
        if sentence.text.startswith("Selon"):
            scores.update(unsupported_allegation=0.91, vague_sourcing=0.62)
            cue = find(sentence, "Selon des sources")
            hits.append(CueHit("vague_sourcing", cue.start, cue.end, cue.text, "vague_sourcing/1"))
            attributions.append(Attribution(find(sentence, "des sources proches du dossier"), cue,
                                            "anonymous_vague", "preposition"))
        elif sentence.text.startswith("Le ministère de"):
            attributions.append(Attribution(find(sentence, "Le ministère de l'Intérieur"), find(sentence, "indiqué"),
                                            "official", "subject", entity="s1",
                                            entity_name="Le ministère de l'Intérieur"))
        elif sentence.text.startswith("Ces traîtres"):
            scores.update({"Name_Calling-Labeling": 0.8, "Loaded_Language": 0.7, "speculative_link": 0.2})
            for technique, text in (("Name_Calling-Labeling", "Ces traîtres"),
                                    ("speculative_link", "comme par hasard")):
                cue = find(sentence, text)
                hits.append(CueHit(technique, cue.start, cue.end, cue.text, f"{technique}/1"))
        elif sentence.paragraph_index == 0:
            scores.update(Loaded_Language=0.75)
        sources = source_results(attributions, TAXONOMY) if "sources@" in version else []
        out[sentence.id] = build_prediction(sentence.id, scores, thresholds, hits, TAXONOMY, version, sources)
    return out


def write_inputs(folder: Path, version: str = VERSION) -> tuple[Path, Path]:
    """ARTICLE as a sentence corpus, and its predictions as `propa preannotate` writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus, predicted = folder / "sentences.jsonl", folder / "predictions.jsonl"
    corpus.write_text("".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in sentences()),
                      encoding="utf-8")
    predicted.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in predictions(version).values()),
                         encoding="utf-8")
    return corpus, predicted


def gold_rows() -> list[dict]:
    """The gold set (corpus/gold/gold_fr.jsonl) as the rows `propa pull` writes, its labels given by one
    annotator, "gold", and a second, "relecteur", who chose the same techniques but no span."""
    rows = []
    with (GOLD / "gold_fr.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            gold = json.loads(line)
            spans = [{"start": c["start"], "end": c["end"], "text": c["text"], "label": c["technique"], "kind": "",
                      "reliability": ""} for c in gold["cues"]]
            spans += [{**{k: s["mention"][k] for k in ("start", "end", "text")}, "label": "source",
                       "kind": s["kind"], "reliability": "unknown"} for s in gold["sources"] if s.get("mention")]
            entries = [{"annotation_id": 1, "annotator": "gold", "labels": gold["labels"], "spans": spans,
                        "lead_time": 1.0},
                       {"annotation_id": 2, "annotator": "relecteur", "labels": gold["labels"], "spans": [],
                        "lead_time": 1.0}]
            rows.append({key: gold[key] for key in ("id", "article_id", "paragraph_index", "start", "end", "text",
                                                    "outlet", "date")}
                        | {"task_id": 1, "paragraph": "", "title": "", "labels": gold["labels"], "ties": [],
                           "annotations": entries})
    return rows
