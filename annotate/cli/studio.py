"""`propa push` and `propa pull`: sentences -> Label Studio tasks, annotations -> a dataset."""

from __future__ import annotations

from pathlib import Path

import click

from annotate.cli.options import project_option, taxonomy_option, url_option
from annotate.cli.options import load_taxonomy_option as _taxonomy


@click.command("push")
@click.argument("corpus", type=click.Path(path_type=Path))
@project_option
@url_option
@taxonomy_option
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 10000),
              help="Tasks per import call.")
@click.option("--update-config", is_flag=True,
              help="Replace the project's labeling config when it differs from the taxonomy.")
@click.option("--overlap", type=click.IntRange(1), default=None,
              help="Annotators per shared task, for agreement (`propa agreement`), e.g. 3.")
@click.option("--overlap-share", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="With --overlap: the share of tasks annotated by that many people (default 1: all), e.g. 0.2.")
def push_cli(corpus: Path, project: str | None, url: str | None, taxonomy_path: str | None,
             batch_size: int, update_config: bool, overlap: int | None, overlap_share: float | None) -> None:
    """Push a sentence corpus (from `propa ingest`) to a Label Studio project.

    Creates the project from the taxonomy, or reuses the one with that title or id.
    Idempotent: sentences already in the project (by sentence id) are not imported again,
    so a grown corpus adds only its new sentences and an interrupted push can be rerun.
    """
    from annotate.studio.push import DEFAULT_PROJECT, local_lock, overlap_settings, push
    from annotate.studio.settings import resolve_connection

    settings = overlap_settings(overlap, overlap_share)
    summary = push(corpus, resolve_connection(url), _taxonomy(taxonomy_path), project or DEFAULT_PROJECT,
                   batch_size=batch_size, update_config=update_config, settings=settings,
                   lock=local_lock(), on_wait=_waiting_for_lock)
    verb = "created" if summary.created else "reused"
    click.echo(f"project {summary.project_id} ({verb}): {summary.imported} tasks imported, "
               f"{summary.already_there} already there, {summary.sentences} sentences in the corpus")
    if summary.duplicates_removed or summary.duplicates_kept:
        kept = (f"; {summary.duplicates_kept} more kept because they hold annotations (see `propa pull`)"
                if summary.duplicates_kept else "")
        click.echo(f"duplicates: {summary.duplicates_removed} extra tasks of the same sentence deleted{kept}")
    if settings:
        click.echo(f"overlap: {settings['maximum_annotations']} annotators on "
                   f"{settings['overlap_cohort_percentage']} % of the tasks")
    click.echo(f"annotate at {summary.project_url}")


@click.command("pull")
@project_option
@url_option
@taxonomy_option
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("data/annotated"),
              show_default=True, help="Folder for annotations.jsonl and the dataset/ DatasetDict.")
@click.option("--full", is_flag=True, help="Export everything again instead of only what changed since the last pull.")
def pull_cli(project: str | None, url: str | None, taxonomy_path: str | None, out: Path, full: bool) -> None:
    """Export a project's annotations as a JSONL and a `datasets` DatasetDict.

    One row per annotated sentence: each annotator's labels and spans (technique cues,
    sources with kind and reliability), time spent, the pre-annotation each annotation
    started from, and the labels resolved by majority (ties listed apart). Skipped
    annotations are left out and counted. Into a folder an earlier pull of the project
    filled, only the tasks updated since are fetched and merged (deleted annotations
    included); --full exports everything (and sees deleted tasks).
    """
    from annotate.studio.pull import pull
    from annotate.studio.pulled import DATASET_DIR, ROWS_FILE
    from annotate.studio.push import DEFAULT_PROJECT
    from annotate.studio.settings import resolve_connection

    summary = pull(resolve_connection(url), _taxonomy(taxonomy_path), project or DEFAULT_PROJECT, out, full=full)
    if summary.changed is not None:
        click.echo(f"since the last pull ({summary.since}): {summary.changed} tasks updated, "
                   f"{summary.removed} rows dropped (no annotation left)")
    c = summary.counts
    click.echo(f"project {summary.project_id}: {c.rows} annotated sentences from {c.annotations} annotations; "
               f"left out: {c.cancelled} skipped, {c.superseded} superseded, "
               f"{c.without_sentence_id} tasks without sentence id; {c.ties} sentences with ties")
    click.echo(f"-> {summary.out / ROWS_FILE} and {summary.out / DATASET_DIR}")




def _waiting_for_lock() -> None:
    click.echo("another propa push from this machine is running: waiting for it to finish...", err=True)


COMMANDS = (push_cli, pull_cli)
