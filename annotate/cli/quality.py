"""`propa agreement`, `uptake`, `adjudicate` and `gold`: what the annotations are worth, one answer
per sentence, the gold set."""

from __future__ import annotations

import json
from pathlib import Path

import click

from annotate.cli.base import PropaGroup
from annotate.cli.options import project_option, taxonomy_option, url_option
from annotate.cli.options import load_taxonomy_option as _taxonomy


@click.command("agreement")
@click.argument("pulled", type=click.Path(path_type=Path))
@click.option("--gold", "gold_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A gold set (corpus/gold/gold_fr.jsonl from `propa gold build`): score each annotator against it.")
@click.option("--low", default=0.667, show_default=True, type=click.FloatRange(-1, 1),
              help="Flag techniques whose Krippendorff's alpha is below this for guideline work.")
@click.option("--min-items", default=10, show_default=True, type=click.IntRange(1),
              help="Techniques resting on fewer shared sentences get no verdict ('too few items').")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the full report (every pair of annotators, every figure with its item count).")
@taxonomy_option
def agreement_cli(pulled: Path, gold_path: Path | None, low: float, min_items: int, json_out: Path | None,
                  taxonomy_path: str | None) -> None:
    """Inter-annotator agreement on what `propa pull` wrote (PULLED: its folder or annotations.jsonl).

    Per technique: Krippendorff's alpha over the sentences two or more people annotated,
    Cohen's kappa per pair of annotators; span F1 between annotators (cues and sources,
    overlap and exact); with --gold, each annotator against the gold set. Every figure
    says how many items it rests on.
    """

    from annotate.studio.pulled import read_pulled_rows
    from annotate.quality.agreement import agreement_report, format_agreement
    from annotate.files import atomic_write
    from annotate.quality.gold import read_gold_rows

    taxonomy = _taxonomy(taxonomy_path)
    rows = read_pulled_rows(pulled)
    gold = read_gold_rows(gold_path) if gold_path is not None else None
    report = agreement_report(rows, taxonomy, gold, low_alpha=low, min_items=min_items)
    click.echo(format_agreement(report))
    if json_out is not None:
        with atomic_write(json_out) as handle:
            handle.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        click.echo(f"-> {json_out}")


@click.command("uptake")
@click.argument("pulled", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report (Markdown) to this file.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the figures as JSON.")
@taxonomy_option
def uptake_cli(pulled: Path, out: Path | None, json_out: Path | None, taxonomy_path: str | None) -> None:
    """What the pre-annotations were worth, per model version (PULLED: a `propa pull` folder).

    For each model version whose predictions annotators started from: how many
    annotations, the share submitted unchanged, per technique the predictions' precision
    and recall against what annotators submitted, and the median time per task beside the
    time on tasks annotated without a pre-annotation.
    """

    from annotate.studio.pulled import read_pulled_rows
    from annotate.files import atomic_write
    from annotate.quality.uptake import by_technique, format_uptake, uptake_report

    taxonomy = _taxonomy(taxonomy_path)
    report = uptake_report(read_pulled_rows(pulled))
    text = format_uptake(report, taxonomy)
    click.echo(text, nl=False)
    if out is not None:
        with atomic_write(out) as handle:
            handle.write(text)
        click.echo(f"-> {out}")
    if json_out is not None:
        with atomic_write(json_out) as handle:
            handle.write(json.dumps(by_technique(report), indent=2, ensure_ascii=False) + "\n")
        click.echo(f"-> {json_out}")


@click.command("adjudicate")
@click.argument("pulled", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("data/adjudicated"),
              show_default=True, help="Folder for adjudicated.jsonl and the dataset/ DatasetDict.")
@click.option("--strategy", type=click.Choice(["majority", "union", "intersection", "expert"]), default="majority",
              show_default=True, help="majority (ties go to review), union, intersection, or expert (--expert's "
              "answer wins where given, majority elsewhere).")
@click.option("--expert", help="With --strategy expert: the annotator (e-mail) whose answer wins.")
@click.option("--review", is_flag=True, help="Send the sentences where annotators disagree to a review project in "
              "Label Studio (answers side by side); reviewers' answers, once given, become the labels.")
@click.option("--review-project", default=None,
              help="Review project title (default: '<--project> : revue'). Created when missing.")
@project_option
@url_option
@taxonomy_option
def adjudicate_cli(pulled: Path, out: Path, strategy: str, expert: str | None, review: bool,
                   review_project: str | None, project: str | None, url: str | None,
                   taxonomy_path: str | None) -> None:
    """Resolve several annotators' answers into one label set per sentence.

    PULLED is what `propa pull` wrote. The output records, for every label anyone chose,
    whether it was kept, dropped or left for review, and how (e.g. "majority 2/3").
    Rerun with --review after reviewers have answered to take their answers.
    """
    from annotate.quality.adjudicate import ADJUDICATED_FILE, adjudicate, write_adjudicated
    from annotate.studio.pulled import DATASET_DIR, read_pulled_rows
    from annotate.studio.push import DEFAULT_PROJECT

    taxonomy = _taxonomy(taxonomy_path)
    rows = read_pulled_rows(pulled)
    client = None
    title = None
    if review:
        from annotate.studio.client import LabelStudioClient
        from annotate.studio.settings import resolve_connection

        client = LabelStudioClient(resolve_connection(url))
        title = review_project or f"{project or DEFAULT_PROJECT} : revue"
    resolved, counts, summary = adjudicate(rows, taxonomy, strategy, expert, client, title)
    write_adjudicated(resolved, taxonomy, out)
    decided = ", ".join(f"{counts.decisions[k]} {k}" for k in ("kept", "dropped", "review"))
    click.echo(f"{counts.sentences} sentences: {counts.unanimous} unanimous, {counts.disagreements} with a "
               f"disagreement, {counts.undecided} with a tie left for review; labels {decided} ({strategy})")
    if summary is not None:
        click.echo(f"review project {summary.project_id}: {summary.sent} sentences sent, {summary.answered} "
                   f"answered by a reviewer (their labels used), {summary.waiting} waiting; {summary.project_url}")
    click.echo(f"-> {out / ADJUDICATED_FILE} and {out / DATASET_DIR}")


@click.group("gold", cls=PropaGroup)
def gold_cli() -> None:
    """The hand-labelled gold corpus (corpus/gold)."""


@gold_cli.command("build")
@click.argument("src", required=False, default=Path("corpus/gold/src"), type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("corpus/gold"),
              show_default=True, help="Folder to write articles.jsonl and gold_fr.jsonl into.")
@taxonomy_option
def gold_build_cli(src: Path, out: Path, taxonomy_path: str | None) -> None:
    """Check the gold YAML files in SRC (default: corpus/gold/src) and build the corpus.

    Every sentence must be what the project's splitter gives, every quoted span must be
    in its sentence, every label needs a cue. Writes articles.jsonl (for ingest and
    push) and gold_fr.jsonl (one labelled sentence a line, offsets for every span).
    """
    from annotate.quality.gold import ARTICLES_FILE, GOLD_FILE, build_gold

    summary = build_gold(src, out, _taxonomy(taxonomy_path))
    click.echo(f"{summary.articles} articles, {summary.sentences} sentences ({summary.with_labels} with a technique), "
               f"{summary.attributions} attributions -> {out / ARTICLES_FILE}, {out / GOLD_FILE}")
    width = max(len(name) for name in summary.label_counts | summary.hard_negative_counts)
    click.echo(f"{'technique':{width}}  positive  hard negative")
    for name in _taxonomy(taxonomy_path).label_names:
        click.echo(f"{name:{width}}  {summary.label_counts[name]:8}  {summary.hard_negative_counts[name]:13}")
    click.echo("styles: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.styles.items())))
    click.echo("topics: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.topics.items())))
    click.echo("source kinds: " + ", ".join(f"{k} {v}" for k, v in summary.source_kinds.most_common()))


COMMANDS = (agreement_cli, uptake_cli, adjudicate_cli, gold_cli)
