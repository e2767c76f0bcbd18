"""Inter-annotator agreement over what `propa pull` returns.

Label Studio's community edition computes none, so this does, from the pulled rows (one
per sentence, with each annotator's latest answer):

- per technique, binary "has it / has it not": Krippendorff's alpha (nominal; the
  ``krippendorff`` package; any number of annotators, missing answers allowed) over the
  sentences that at least two people annotated, and Cohen's kappa for every pair of
  annotators (scikit-learn) over the sentences both annotated;
- spans (the cue spans of techniques, and source spans with their kind): F1 between
  every pair of annotators, a span of one matching an unmatched span of the other with
  the same label that overlaps it (and, for "exact", has the same offsets);
- with a gold set (`propa gold build`), each annotator against it: per technique kappa,
  micro precision/recall/F1 of the labels, and span F1;
- every figure comes with the number of items it rests on, and techniques whose alpha
  is under a threshold (0.667, Krippendorff's floor for tentative conclusions) are
  flagged for guideline work; a technique with too few items or no variation gets no
  figure rather than a misleading one.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from itertools import combinations
from typing import Iterable

from annotate.taxonomy import Taxonomy

LOW_ALPHA = 0.667
MIN_ITEMS = 10


@dataclass(frozen=True)
class Answer:
    """One annotator's answer on one sentence."""

    labels: frozenset[str]
    spans: tuple[tuple[str, int, int, str], ...]  # (label, start, end, kind); kind only on source spans


def answers_by_item(rows: Iterable[dict]) -> dict[str, dict[str, Answer]]:
    """{sentence id: {annotator: Answer}} from pulled rows."""
    items: dict[str, dict[str, Answer]] = {}
    for row in rows:
        per = {}
        for entry in row.get("annotations") or []:
            spans = tuple(sorted((s["label"], int(s["start"]), int(s["end"]), s.get("kind") or "")
                                 for s in entry.get("spans") or []))
            per[entry["annotator"]] = Answer(frozenset(entry.get("labels") or []), spans)
        if per:
            items[str(row["id"])] = per
    return items


def gold_answers(rows: Iterable[dict], source_label: str = "source") -> dict[str, Answer]:
    """{sentence id: Answer} from `gold_fr.jsonl` rows (cue spans and source mentions)."""
    out = {}
    for row in rows:
        spans = [(c["technique"], c["start"], c["end"], "") for c in row.get("cues") or []]
        spans += [(source_label, s["mention"]["start"], s["mention"]["end"], s["kind"])
                  for s in row.get("sources") or [] if s.get("mention")]
        out[str(row["id"])] = Answer(frozenset(row["labels"]), tuple(sorted(spans)))
    return out


def krippendorff_alpha(matrix: list[list[float]]) -> float | None:
    """Nominal alpha of an annotators x items matrix (NaN = not annotated); None when undefined."""
    import krippendorff
    import numpy as np

    data = np.array(matrix, dtype=float)
    pairable = data[:, (~np.isnan(data)).sum(axis=0) >= 2]
    values = pairable[~np.isnan(pairable)]
    if values.size == 0 or len(set(values.tolist())) < 2:
        return None  # no variation: alpha is 0/0
    return float(krippendorff.alpha(reliability_data=pairable, level_of_measurement="nominal"))


def cohen_kappa(a: list[int], b: list[int]) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if not a or (len(set(a)) == 1 and set(a) == set(b)):
        return None  # both constant and equal: chance agreement is 1, kappa is 0/0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = cohen_kappa_score(a, b, labels=[0, 1])
    return None if math.isnan(value) else float(value)


def span_f1(a: Iterable[tuple], b: Iterable[tuple], exact: bool, with_kind: bool = False) -> tuple[int, int, int]:
    """(matched, spans of a, spans of b): one-to-one matching of same-label spans that
    overlap (or, exact, have the same offsets); with_kind also requires the same kind."""
    a, b = list(a), list(b)
    used = [False] * len(b)
    matched = 0
    for label, start, end, kind in a:
        for j, (label2, start2, end2, kind2) in enumerate(b):
            if used[j] or label2 != label or (with_kind and kind2 != kind):
                continue
            if (start, end) == (start2, end2) if exact else (start < end2 and start2 < end):
                used[j] = True
                matched += 1
                break
    return matched, len(a), len(b)


def f1(matched: int, left: int, right: int) -> float | None:
    return 2 * matched / (left + right) if left + right else None


@dataclass
class TechniqueAgreement:
    technique: str
    items: int  # sentences annotated by at least two people
    positives: int  # answers that chose it, over those sentences
    alpha: float | None
    kappa: dict[str, dict] = field(default_factory=dict)  # "a | b" -> {"kappa", "items"}
    flag: str = ""


def technique_agreement(items: dict[str, dict[str, Answer]], technique: str, annotators: list[str],
                        low_alpha: float, min_items: int) -> TechniqueAgreement:
    shared = [per for per in items.values() if len(per) >= 2]
    matrix = [[float(technique in per[a].labels) if a in per else math.nan for per in shared] for a in annotators]
    positives = sum(technique in answer.labels for per in shared for answer in per.values())
    alpha = krippendorff_alpha(matrix) if shared else None
    kappas = {}
    for a, b in combinations(annotators, 2):
        both = [per for per in shared if a in per and b in per]
        if both:
            kappas[f"{a} | {b}"] = {"kappa": cohen_kappa([int(technique in per[a].labels) for per in both],
                                                         [int(technique in per[b].labels) for per in both]),
                                    "items": len(both)}
    if len(shared) < min_items:
        flag = "too few items"
    elif positives == 0:
        flag = "never chosen"
    elif alpha is None:
        flag = "no variation"
    elif alpha < low_alpha:
        flag = "low agreement: review the guidelines"
    else:
        flag = ""
    return TechniqueAgreement(technique, len(shared), positives, alpha, kappas, flag)


def span_totals(pairs: list[tuple[Answer, Answer]], pick, exact: bool, with_kind: bool = False) -> tuple[int, int, int]:
    """(matched, spans on the left, spans on the right) summed over pairs of answers, for the
    spans ``pick`` keeps."""
    totals = [0, 0, 0]
    for left, right in pairs:
        for k, value in enumerate(span_f1([s for s in left.spans if pick(s)], [s for s in right.spans if pick(s)],
                                          exact=exact, with_kind=with_kind)):
            totals[k] += value
    return totals[0], totals[1], totals[2]


def _parts(source_label: str) -> tuple:
    return (("cues", lambda s: s[0] != source_label), ("sources", lambda s: s[0] == source_label))


def pair_spans(items: dict[str, dict[str, Answer]], a: str, b: str, source_label: str) -> dict:
    """Span F1 between two annotators over the sentences both annotated."""
    out = {}
    pairs = [(per[a], per[b]) for per in items.values() if a in per and b in per]
    for part, pick in _parts(source_label):
        for mode in ("overlap", "exact"):
            totals = span_totals(pairs, pick, exact=mode == "exact")
            out[f"{part}_{mode}_f1"] = f1(*totals)
            out[f"{part}_spans"] = totals[1] + totals[2]
    out["sources_overlap_same_kind_f1"] = f1(*span_totals(pairs, _parts(source_label)[1][1], False, with_kind=True))
    out["items"] = len(pairs)
    return out


def against_gold(items: dict[str, dict[str, Answer]], gold: dict[str, Answer], annotator: str,
                 techniques: list[str], source_label: str) -> dict:
    """One annotator against the gold set, on the sentences both cover."""
    common = [(per[annotator], gold[item]) for item, per in items.items() if annotator in per and item in gold]
    tp = sum(len(mine.labels & truth.labels) for mine, truth in common)
    fp = sum(len(mine.labels - truth.labels) for mine, truth in common)
    fn = sum(len(truth.labels - mine.labels) for mine, truth in common)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    micro = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    per_technique = {}
    for technique in techniques:
        mine = [int(technique in m.labels) for m, _ in common]
        truth = [int(technique in t.labels) for _, t in common]
        if any(mine) or any(truth):
            per_technique[technique] = {"kappa": cohen_kappa(mine, truth), "gold_positives": sum(truth),
                                        "chosen": sum(mine)}
    spans = {f"{part}_overlap_f1": f1(*span_totals(common, pick, exact=False)) for part, pick in _parts(source_label)}
    return {"items": len(common), "precision": precision, "recall": recall, "micro_f1": micro,
            "techniques": per_technique, **spans}


def agreement_report(rows: Iterable[dict], taxonomy: Taxonomy, gold_rows: Iterable[dict] | None = None,
                     low_alpha: float = LOW_ALPHA, min_items: int = MIN_ITEMS) -> dict:
    """Everything above as one JSON-ready dict."""
    items = answers_by_item(rows)
    annotators = sorted({name for per in items.values() for name in per})
    source_label = taxonomy.sources.label.id
    techniques = [technique_agreement(items, t, annotators, low_alpha, min_items) for t in taxonomy.label_names]
    report = {
        "annotators": annotators,
        "items": len(items),
        "shared_items": sum(1 for per in items.values() if len(per) >= 2),
        "low_alpha": low_alpha,
        "min_items": min_items,
        "techniques": [t.__dict__ for t in techniques],
        "flagged": [t.technique for t in techniques if t.flag.startswith("low agreement")],
        "spans": {f"{a} | {b}": pair_spans(items, a, b, source_label) for a, b in combinations(annotators, 2)},
    }
    if gold_rows is not None:
        gold = gold_answers(gold_rows, source_label)
        report["gold"] = {a: against_gold(items, gold, a, taxonomy.label_names, source_label) for a in annotators}
    return report


def _fmt(value: float | None) -> str:
    return "   -" if value is None else f"{value:5.2f}"


def format_agreement(report: dict) -> str:
    """The terminal table: techniques that have data, then span agreement, then gold."""
    lines = [f"{len(report['annotators'])} annotators, {report['items']} sentences annotated, "
             f"{report['shared_items']} by two people or more"]
    shown = [t for t in report["techniques"] if t["positives"]]
    width = max([len(t["technique"]) for t in shown] + [9])
    lines.append(f"{'technique':{width}}  items  chosen  alpha  kappa(min..max)  flag")
    for t in shown:
        values = [k["kappa"] for k in t["kappa"].values() if k["kappa"] is not None]
        kappa = f"{min(values):5.2f}..{max(values):5.2f}" if values else "       -    "
        lines.append(f"{t['technique']:{width}}  {t['items']:5}  {t['positives']:6}  {_fmt(t['alpha'])}  "
                     f"{kappa:15}  {t['flag']}")
    hidden = len(report["techniques"]) - len(shown)
    if hidden:
        lines.append(f"({hidden} techniques chosen by nobody are not shown)")
    for pair, spans in report["spans"].items():
        lines.append(f"spans {pair} ({spans['items']} sentences): cues F1 overlap {_fmt(spans['cues_overlap_f1'])} "
                     f"exact {_fmt(spans['cues_exact_f1'])}; sources F1 overlap {_fmt(spans['sources_overlap_f1'])} "
                     f"exact {_fmt(spans['sources_exact_f1'])} same kind {_fmt(spans['sources_overlap_same_kind_f1'])}")
    for annotator, scores in (report.get("gold") or {}).items():
        lines.append(f"gold vs {annotator} ({scores['items']} sentences): precision {_fmt(scores['precision'])} "
                     f"recall {_fmt(scores['recall'])} micro-F1 {_fmt(scores['micro_f1'])}; cue spans F1 "
                     f"{_fmt(scores['cues_overlap_f1'])}; source spans F1 {_fmt(scores['sources_overlap_f1'])}")
    if report["flagged"]:
        lines.append(f"low agreement (alpha < {report['low_alpha']}): {', '.join(report['flagged'])}: "
                     "work on their guidelines")
    return "\n".join(lines)
