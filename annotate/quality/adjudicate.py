"""Adjudication: one resolved answer per sentence from several annotators' answers.

Strategies, applied label by label (techniques) and span by span (cue and source spans,
a span being its label, offsets and, for a source, kind and reliability):

- ``majority``: kept when more than half the annotators chose it; exactly half is a tie,
  left undecided and sent to review;
- ``union``: kept when anyone chose it; ``intersection``: kept when everyone did;
- ``expert``: the named annotator's answer wins where they answered; elsewhere, majority.

Every label anyone chose gets a decision record ``{"label", "decision": kept|dropped|
review, "how": "majority 2/3"}``, so the resolved dataset says how each label was decided.

``--review`` sends the sentences where annotators disagree on a technique to a review
project in Label Studio. Each review task shows every annotator's answer side by side
and is pre-filled with the strategy's answer; a reviewer's answer there, once given,
becomes the sentence's gold labels (decision ``review``, how ``reviewer <email>``).
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from typing import Hashable, Iterable

from annotate.errors import InputError
from annotate.taxonomy import Taxonomy

STRATEGIES = ("majority", "union", "intersection", "expert")


def vote(answers: dict[str, Iterable[Hashable]], strategy: str, expert: str | None = None
         ) -> tuple[list[Hashable], list[Hashable], dict[Hashable, tuple[str, str]]]:
    """(kept, undecided, {item: (decision, how)}) over the items any annotator chose."""
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy '{strategy}' (expected one of {', '.join(STRATEGIES)})")
    if strategy == "expert" and not expert:
        raise InputError("the expert strategy needs --expert (the annotator whose answer wins)")
    chosen = {annotator: set(items) for annotator, items in answers.items()}
    n = len(chosen)
    votes = Counter(item for items in chosen.values() for item in items)
    decisions: dict[Hashable, tuple[str, str]] = {}
    for item, count in votes.items():
        if n == 1:
            decisions[item] = ("kept", "single annotator")
        elif strategy == "union":
            decisions[item] = ("kept", f"union {count}/{n}")
        elif strategy == "intersection":
            decisions[item] = ("kept" if count == n else "dropped", f"intersection {count}/{n}")
        elif strategy == "expert" and expert in chosen:
            decisions[item] = ("kept" if item in chosen[expert] else "dropped", f"expert {expert}")
        else:
            suffix = " (no answer from the expert)" if strategy == "expert" else ""
            decision = "kept" if 2 * count > n else "review" if 2 * count == n else "dropped"
            decisions[item] = (decision, f"majority {count}/{n}{suffix}")
    kept = [item for item, (decision, _) in decisions.items() if decision == "kept"]
    undecided = [item for item, (decision, _) in decisions.items() if decision == "review"]
    return kept, undecided, decisions


def _span_key(span: dict) -> tuple:
    return (span["label"], int(span["start"]), int(span["end"]), span.get("kind") or "", span.get("reliability") or "")


def disagree(row: dict) -> bool:
    """Annotators differ on at least one technique (spans alone do not send a task to review)."""
    answers = [frozenset(a["labels"]) for a in row.get("annotations") or []]
    return len(answers) > 1 and len(set(answers)) > 1


@dataclass
class AdjudicationCounts:
    sentences: int = 0
    unanimous: int = 0
    disagreements: int = 0
    undecided: int = 0  # sentences with a tie left for review
    reviewed: int = 0  # sentences whose labels come from the review project
    decisions: Counter = field(default_factory=Counter)


def adjudicate_row(row: dict, taxonomy: Taxonomy, strategy: str, expert: str | None = None,
                   reviewed: dict | None = None) -> dict:
    """One pulled row -> the resolved row: labels, ties, spans, decisions, disagreement flag.

    ``reviewed`` is a reviewer's answer for this sentence (``{"annotator", "labels",
    "spans"}`` as pulled from the review project); it overrides the strategy.
    """
    entries = row.get("annotations") or []
    if not entries:
        raise InputError(f"sentence {row.get('id')}: no annotation to adjudicate")
    order = {name: i for i, name in enumerate(taxonomy.label_names)}
    resolved = dict(row)
    if reviewed is not None:
        reviewer = reviewed["annotator"]
        labels = sorted(reviewed["labels"], key=order.__getitem__)
        everyone = sorted({label for e in entries for label in e["labels"]} | set(labels), key=order.__getitem__)
        resolved.update(labels=labels, ties=[], spans=list(reviewed.get("spans") or []), decisions=[
            {"label": label, "decision": "review" if label in labels else "dropped", "how": f"reviewer {reviewer}"}
            for label in everyone])
    else:
        answers = {e["annotator"]: e["labels"] for e in entries}
        kept, undecided, decisions = vote(answers, strategy, expert)
        span_answers = {e["annotator"]: [_span_key(s) for s in e.get("spans") or []] for e in entries}
        kept_spans, _, _ = vote(span_answers, strategy, expert)
        by_key = {_span_key(s): s for e in entries for s in e.get("spans") or []}
        resolved.update(
            labels=sorted(kept, key=order.__getitem__), ties=sorted(undecided, key=order.__getitem__),
            spans=sorted((by_key[k] for k in kept_spans), key=lambda s: (s["start"], s["end"], s["label"])),
            decisions=[{"label": label, "decision": decisions[label][0], "how": decisions[label][1]}
                       for label in sorted(decisions, key=order.__getitem__)])
    resolved["disagreement"] = disagree(row)
    return resolved


def adjudicate_rows(rows: Iterable[dict], taxonomy: Taxonomy, strategy: str, expert: str | None = None,
                    reviews: dict[str, dict] | None = None) -> tuple[list[dict], AdjudicationCounts]:
    counts = AdjudicationCounts()
    out = []
    for row in rows:
        review = (reviews or {}).get(str(row["id"]))
        resolved = adjudicate_row(row, taxonomy, strategy, expert, review)
        counts.sentences += 1
        counts.disagreements += resolved["disagreement"]
        counts.unanimous += not resolved["disagreement"]
        counts.undecided += bool(resolved["ties"])
        counts.reviewed += review is not None
        counts.decisions.update(d["decision"] for d in resolved["decisions"])
        out.append(resolved)
    return out, counts


def answers_html(row: dict, taxonomy: Taxonomy) -> str:
    """Each annotator's answer, side by side, for the review task (French names)."""
    names = {t.id: t.name for t in taxonomy.techniques}
    names[taxonomy.sources.label.id] = taxonomy.sources.label.name
    cells = []
    for entry in row.get("annotations") or []:
        labels = ", ".join(names.get(label, label) for label in entry["labels"]) or "(aucune technique)"
        spans = "; ".join(f"« {html.escape(s['text'])} » : {html.escape(names.get(s['label'], s['label']))}"
                          + (f" ({html.escape(s['kind'])})" if s.get("kind") else "")
                          for s in entry.get("spans") or [])
        cells.append(f"<td style=\"vertical-align:top;padding:4px 12px\"><b>{html.escape(entry['annotator'])}</b>"
                     f"<br/>{html.escape(labels)}" + (f"<br/><small>{spans}</small>" if spans else "") + "</td>")
    return "<table><tr>" + "".join(cells) + "</tr></table>"


def review_label_config(base_config: str) -> str:
    """The project's labeling config with the annotators' answers shown above the sentence."""
    marker = '  <Header value="Phrase à annoter" size="5"/>'
    if marker not in base_config:
        raise InputError("the labeling config has no 'Phrase à annoter' header to put the answers above")
    block = ('  <Header value="Réponses des annotateurs" size="5"/>\n'
             '  <HyperText name="answers" value="$answers_html" inline="true"/>\n')
    return base_config.replace(marker, block + marker, 1)


def review_task(row: dict, resolved: dict, taxonomy: Taxonomy, model_version: str) -> dict:
    """A review task: the sentence's data, the answers side by side, the strategy's answer pre-filled."""
    from annotate.studio.predictions import choices_result

    data = {key: row[key] for key in ("id", "article_id", "paragraph_index", "start", "end", "text", "paragraph",
                                      "title", "outlet", "date") if key in row}
    data["sentence_id"] = data.pop("id")
    data["answers_html"] = answers_html(row, taxonomy)
    prediction = {"model_version": model_version, "score": 0.0,
                  "result": choices_result(resolved["labels"], taxonomy)}
    return {"data": data, "predictions": [prediction]}


@dataclass(frozen=True)
class ReviewSummary:
    project_id: int
    project_url: str
    created: bool
    sent: int  # disagreeing sentences newly sent to review
    waiting: int  # disagreeing sentences in the review project with no answer yet
    answered: int  # sentences whose labels come from a reviewer


def review_version(strategy: str) -> str:
    return f"adjudication-{strategy}"


def open_review_project(client, title: str, taxonomy: Taxonomy) -> tuple[int, bool]:
    from annotate.taxonomy import guidelines_html, label_config

    config = review_label_config(label_config(taxonomy))
    project = client.find_project(title)
    if project is not None:
        return project.id, False
    instructions = ("<p><b>Revue.</b> Les annotateurs ne sont pas d'accord sur cette phrase : leurs réponses "
                    "sont affichées côte à côte. La réponse pré-remplie est celle de la règle d'arbitrage ; "
                    "corrigez-la si besoin. Votre réponse devient la référence.</p>" + guidelines_html(taxonomy))
    created = client.create_project(title, config, instructions)
    return created.id, True


def reviewer_answers(client, project_id: int, taxonomy: Taxonomy) -> dict[str, dict]:
    """{sentence id: {"annotator", "labels", "spans"}} from the review project's annotations."""
    from annotate.studio.pull import rows_from_export

    rows, _ = rows_from_export(client.export_tasks(project_id), taxonomy, client.user_emails())
    answers = {}
    for row in rows:
        reviewers = [entry["annotator"] for entry in row["annotations"]]
        spans = row["annotations"][0]["spans"] if len(row["annotations"]) == 1 else []
        answers[row["id"]] = {"annotator": ", ".join(reviewers), "labels": row["labels"], "spans": spans}
    return answers


def adjudicate(rows: list[dict], taxonomy: Taxonomy, strategy: str, expert: str | None = None,
               client=None, review_project: str | None = None,
               ) -> tuple[list[dict], AdjudicationCounts, ReviewSummary | None]:
    """Resolve every row; with a Label Studio ``client`` and ``review_project``, take the
    reviewers' answers given so far and send the disagreements not yet there to review."""
    if not rows:
        raise InputError("no annotated sentence to adjudicate")
    if strategy == "expert":
        known = {entry["annotator"] for row in rows for entry in row["annotations"]}
        if expert not in known:
            raise InputError(f"expert '{expert}' annotated none of these sentences "
                             f"(annotators: {', '.join(sorted(known))})")
    if client is None:
        resolved, counts = adjudicate_rows(rows, taxonomy, strategy, expert)
        return resolved, counts, None
    project_id, created = open_review_project(client, review_project, taxonomy)
    reviews = {} if created else reviewer_answers(client, project_id, taxonomy)
    resolved, counts = adjudicate_rows(rows, taxonomy, strategy, expert, reviews)
    existing = {} if created else client.task_ids_by_sentence(project_id)
    version = review_version(strategy)
    tasks = [review_task(row, done, taxonomy, version) for row, done in zip(rows, resolved)
             if done["disagreement"] and str(row["id"]) not in existing and str(row["id"]) not in reviews]
    from annotate.studio.client import batched

    for batch in batched(tasks, 500):
        client.import_tasks(project_id, batch)
    if tasks:
        client.update_project(project_id, model_version=version)
    waiting = sum(1 for done in resolved if done["disagreement"] and str(done["id"]) not in reviews)
    summary = ReviewSummary(project_id, client.project_url(project_id), created, len(tasks), waiting, len(reviews))
    return resolved, counts, summary


def write_adjudicated(resolved: list[dict], taxonomy: Taxonomy, out) -> None:
    """``out/adjudicated.jsonl`` (rows with decisions and spans) and ``out/dataset``."""
    import json
    from pathlib import Path

    from annotate.dataset import write_dataset
    from annotate.files import atomic_write
    from annotate.studio.pulled import DATASET_DIR, SPLIT

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    columns = ("id", "task_id", "article_id", "paragraph_index", "start", "end", "text", "paragraph", "title",
               "outlet", "date", "labels", "ties", "annotations", "decisions")
    write_dataset({SPLIT: [{key: row[key] for key in columns} for row in resolved]}, taxonomy, out / DATASET_DIR)
    with atomic_write(out / ADJUDICATED_FILE) as handle:
        for row in resolved:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


ADJUDICATED_FILE = "adjudicated.jsonl"
