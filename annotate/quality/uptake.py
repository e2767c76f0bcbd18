"""What the pre-annotations were worth: how annotators changed them, per model version.

Reads what `propa pull` wrote: each annotation carries the prediction it started from
(``prediction``: id, model_version, score, labels), which Label Studio records when an
annotator opens a pre-annotated task. For each model version:

- how many annotations started from one of its predictions, and the share submitted with
  exactly the predicted techniques (accepted unchanged);
- per technique, the predictions' precision (of the techniques it ticked, the share the
  annotator kept) and recall (of the techniques the annotator submitted, the share it had
  ticked), with the counts they rest on;
- the annotators' time per task (Label Studio's lead time, median) on its pre-annotated
  tasks, beside the same on tasks annotated without any pre-annotation.

This is the figure a newsroom uses to decide whether the model helps: if its predictions
are mostly kept and the time drops, it does. Pure: rows in, a report out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from statistics import median

from annotate.taxonomy import Taxonomy

WITHOUT = ""  # the model version key of annotations that started blank


@dataclass
class VersionUptake:
    model_version: str
    annotations: int = 0
    unchanged: int = 0  # submitted with exactly the predicted techniques
    lead_times: list[float] = field(default_factory=list)
    kept: Counter = field(default_factory=Counter)  # technique predicted and submitted
    dropped: Counter = field(default_factory=Counter)  # predicted, not submitted
    added: Counter = field(default_factory=Counter)  # submitted, not predicted

    @property
    def unchanged_share(self) -> float:
        return self.unchanged / self.annotations if self.annotations else 0.0

    def precision(self, technique: str) -> float | None:
        predicted = self.kept[technique] + self.dropped[technique]
        return self.kept[technique] / predicted if predicted else None

    def recall(self, technique: str) -> float | None:
        submitted = self.kept[technique] + self.added[technique]
        return self.kept[technique] / submitted if submitted else None

    @property
    def median_time(self) -> float | None:
        return median(self.lead_times) if self.lead_times else None


def uptake_report(rows: list[dict]) -> dict[str, VersionUptake]:
    """Model version -> its uptake; WITHOUT ("") collects the annotations made from blank."""
    versions: dict[str, VersionUptake] = {}
    for row in rows:
        for annotation in row.get("annotations") or []:
            prediction = annotation.get("prediction")
            version = (prediction.get("model_version") or "?") if isinstance(prediction, dict) else WITHOUT
            uptake = versions.setdefault(version, VersionUptake(version))
            uptake.annotations += 1
            lead_time = annotation.get("lead_time")
            if lead_time:
                uptake.lead_times.append(float(lead_time))
            if version == WITHOUT:
                continue
            predicted, submitted = set(prediction.get("labels") or []), set(annotation.get("labels") or [])
            uptake.unchanged += predicted == submitted
            uptake.kept.update(predicted & submitted)
            uptake.dropped.update(predicted - submitted)
            uptake.added.update(submitted - predicted)
    return versions


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def format_uptake(report: dict[str, VersionUptake], taxonomy: Taxonomy) -> str:
    """The report as text (Markdown tables), one section a model version."""
    blank = report.get(WITHOUT)
    lines = ["# What the pre-annotations were worth", ""]
    if blank is not None:
        lines += [f"Annotations made without a pre-annotation: {blank.annotations}, "
                  f"median time per task {_seconds(blank.median_time)}.", ""]
    versions = [v for k, v in sorted(report.items()) if k != WITHOUT]
    if not versions:
        lines.append("No annotation started from a pre-annotation (push predictions with "
                     "`propa preannotate --push` before annotators open the tasks).")
        return "\n".join(lines) + "\n"
    for uptake in versions:
        lines += [f"## {uptake.model_version}", "",
                  f"{uptake.annotations} annotations started from its predictions; "
                  f"{uptake.unchanged} ({uptake.unchanged_share:.0%}) submitted with exactly its techniques; "
                  f"median time per task {_seconds(uptake.median_time)}"
                  + (f" (without pre-annotation: {_seconds(blank.median_time)})" if blank is not None else "") + ".",
                  "", "| technique | predicted | kept | added by annotators | precision | recall |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for technique in taxonomy.label_names:
            predicted = uptake.kept[technique] + uptake.dropped[technique]
            if not predicted and not uptake.added[technique]:
                continue
            lines.append(f"| {technique} | {predicted} | {uptake.kept[technique]} | {uptake.added[technique]} | "
                         f"{_share(uptake.precision(technique))} | {_share(uptake.recall(technique))} |")
        lines.append("")
    return "\n".join(lines)


def by_technique(report: dict[str, VersionUptake]) -> dict[str, dict]:
    """The report as plain data (for --json)."""
    out: dict[str, dict] = {}
    for version, uptake in report.items():
        techniques = sorted(set(uptake.kept) | set(uptake.dropped) | set(uptake.added))
        out[version or "without pre-annotation"] = {
            "annotations": uptake.annotations, "unchanged": uptake.unchanged,
            "median_lead_time": uptake.median_time,
            "techniques": {t: {"kept": uptake.kept[t], "dropped": uptake.dropped[t], "added": uptake.added[t],
                               "precision": uptake.precision(t), "recall": uptake.recall(t)} for t in techniques},
        }
    return out

