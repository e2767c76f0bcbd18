"""The `propa` command: thin wrappers over plain functions; only this module prints.

Every error a user can cause ends as one line on stderr and exit status 1.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click

from annotate.cli.options import kinds_option, project_option, registry_option, taxonomy_option, url_option
from annotate.cli.options import load_taxonomy_option as _taxonomy
from annotate.errors import PropaError


# Packages of the `train` extra: a command that needs one says how to install it.
OPTIONAL_PACKAGES = {"torch", "transformers", "accelerate", "sentencepiece", "sklearn", "scipy", "safetensors",
                     "google"}


class PropaGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PropaError as err:
            raise click.ClickException(str(err)) from None
        except ModuleNotFoundError as err:
            if err.name and err.name.split(".")[0] in OPTIONAL_PACKAGES:
                raise click.ClickException(f"{err.name} is not installed; install the training extras: "
                                           "pip install 'torch==2.13.0' -e '.[train]'") from None
            raise




@click.group(cls=PropaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="propa")
def cli() -> None:
    """Find propaganda techniques and weak sourcing in French news.

    \b
    The annotation loop:
      propa ingest corpus/samples -o sentences.jsonl   articles -> sentences
      propa server start                               a local Label Studio
      propa push sentences.jsonl                       sentences -> tasks
      (annotate in Label Studio)
      propa pull --out data/annotated                  annotations -> dataset
      propa agreement data/annotated                   who agrees on what
      propa adjudicate data/annotated --review         one answer per sentence
      propa data split data/adjudicated/dataset -o data/split
      propa train -c configs/train/tfidf.yaml          dataset -> model
      propa evaluate models/tfidf data/split           metrics per label
      propa preannotate NEW -m models/tfidf --push     predictions back into Label Studio
      propa preannotate NEW -m models/tfidf --push --kinds-from data/annotated
                                                       ... with source kinds learnt from corrections
      propa uptake data/annotated                      what the pre-annotations were worth
      propa sources profile NEW                        who each article cites

    State (the local server, its log and the connection config) lives in ./.propa,
    or in $PROPA_HOME.
    """


# -- ingest ----------------------------------------------------------------------------

@cli.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("sentences.jsonl"),
              show_default=True, help="Sentence corpus to write (JSONL, one sentence a line).")
@click.option("--encoding", default=None,
              help="Decode the input with this encoding (e.g. cp1252) instead of requiring UTF-8.")
@click.option("--sources", "with_sources", is_flag=True,
              help="Also find who each sentence cites (French parser; about 10 ms a sentence). "
                   "--registry, --kinds and --kinds-from apply to it.")
@registry_option
@kinds_option
@taxonomy_option
def ingest_cli(paths: tuple[Path, ...], out: Path, encoding: str | None, with_sources: bool,
               registry_path: Path | None, kinds_choice: str, kinds_from: tuple[Path, ...],
               taxonomy_path: str | None) -> None:
    """Split articles into sentences and write a sentence corpus.

    PATHS are files or folders of articles: .txt (first line the title, then the text),
    .jsonl or .csv (fields id, title, text; optional outlet, url, date, author). Every
    sentence gets a stable id "<article id>:<start>-<end>" (offsets into the article:
    title, blank line, text). On an error nothing is written.

    With --sources each sentence also gets "attributions": the source mention, the cue
    (reporting verb or "selon"...), the kind, the attributed content when found, and the
    reliability the registry gives the source ("unknown" when it is not registered).
    """
    from annotate.text.corpus import ingest
    from annotate.errors import InputError

    if not with_sources and (registry_path or kinds_from):
        raise InputError("--registry and --kinds-from apply to --sources: add --sources, or leave them out")
    attributor = None
    if with_sources:
        from annotate.sources.attribution import Attributor
        from annotate.sources.kinds import kind_model
        from annotate.sources.registry import load_registry

        registry = load_registry(registry_path, _taxonomy(taxonomy_path))
        attributor = Attributor(registry, kinds=kind_model(kinds_choice, kinds_from))
    summary = ingest(list(paths), out, encoding=encoding, attributor=attributor)
    click.echo(f"{summary.articles} articles, {summary.sentences} sentences -> {summary.out}")


# -- server ----------------------------------------------------------------------------

@cli.group("server", cls=PropaGroup)
def server_cli() -> None:
    """Run a local Label Studio server (SQLite, 127.0.0.1) for annotation."""


@server_cli.command("start")
@click.option("--port", default=None, type=int,
              help="Port on 127.0.0.1 (must be free)  [default: 8080, or the running server's].")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve on: 0.0.0.0 serves a team on the local network (see the warning).")
@click.option("--no-install", is_flag=True, help="Fail instead of installing Label Studio when it is missing.")
@click.option("--timeout", default=240, show_default=True, type=float, help="Seconds to wait for the server.")
def server_start_cli(port: int | None, host: str, no_install: bool, timeout: float) -> None:
    """Install (if needed) and start Label Studio, then record how to reach it.

    The first start creates the admin user and an API token without any prompt and
    writes them to .propa/config.yaml (mode 0600), which the other commands read; the
    admin password is never shown. With --host 0.0.0.0 annotators on the local network
    reach it; add their accounts with `propa server add-annotator` or send them
    `propa server invite`'s link.
    """
    from annotate.studio.server import LOOPBACK, start_server, team_url
    from annotate.studio.settings import config_path, state_dir

    status = start_server(state_dir(), port=port, host=host, timeout=timeout, install=not no_install,
                          echo=lambda m: click.echo(m, err=True))
    click.echo(status.describe())
    click.echo(f"Password: in {config_path(state_dir())} (field 'password'). Log: {status.log}")
    if host not in LOOPBACK:
        click.echo(f"Warning: serving on {host}: anyone who can reach this machine on that port sees the login "
                   "page, over plain HTTP (no encryption): use it on a network you trust, and stop it after.",
                   err=True)
        click.echo(f"Annotators open: {team_url(state_dir())}")


@server_cli.command("invite")
def server_invite_cli() -> None:
    """Print the sign-up link to send annotators (anyone with it can create an account)."""
    from annotate.studio.client import LabelStudioClient
    from annotate.studio.server import team_url
    from annotate.studio.settings import resolve_connection, state_dir

    client = LabelStudioClient(resolve_connection())
    base = team_url(state_dir()) or client.conn.url
    click.echo(f"{base.rstrip('/')}/user/signup/?token={client.invite_token()}")


@server_cli.command("add-annotator")
@click.argument("emails", nargs=-1, required=True)
def server_add_annotator_cli(emails: tuple[str, ...]) -> None:
    """Create annotator accounts (EMAILS) with generated passwords.

    The passwords go to .propa/annotators.yaml (mode 0600), never to the terminal: send
    each person theirs. Every account sees the server's projects.
    """
    from annotate.studio.client import LabelStudioClient
    from annotate.studio.server import add_annotators, team_url
    from annotate.studio.settings import resolve_connection, state_dir

    client = LabelStudioClient(resolve_connection())
    path, created = add_annotators(client, state_dir(), list(emails))
    click.echo(f"{len(created)} account(s) created: {', '.join(created)}; passwords in {path} (mode 0600)")
    click.echo(f"They log in at {team_url(state_dir()) or client.conn.url}")


@server_cli.command("stop")
def server_stop_cli() -> None:
    """Stop the local Label Studio started by `propa server start`."""
    from annotate.studio.server import stop_server
    from annotate.studio.settings import state_dir

    click.echo("Label Studio stopped." if stop_server(state_dir()) else "Label Studio was not running.")


@server_cli.command("status")
def server_status_cli() -> None:
    """Say whether the local Label Studio is running and where (exit 1 when it is not)."""
    from annotate.studio.server import server_status
    from annotate.studio.settings import state_dir

    status = server_status(state_dir())
    click.echo(status.describe())
    if not status.healthy:
        raise SystemExit(1)


# -- push / pull -----------------------------------------------------------------------

@cli.command("push")
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


@cli.command("pull")
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
    from annotate.studio.pull import DATASET_DIR, ROWS_FILE, pull
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


# -- agreement and adjudication ----------------------------------------------------------

@cli.command("agreement")
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
    import json

    from annotate.quality.adjudicate import read_pulled_rows
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


@cli.command("uptake")
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
    import json

    from annotate.quality.adjudicate import read_pulled_rows
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


@cli.command("adjudicate")
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
    from annotate.quality.adjudicate import ADJUDICATED_FILE, adjudicate, read_pulled_rows, write_adjudicated
    from annotate.studio.pull import DATASET_DIR
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


# -- taxonomy --------------------------------------------------------------------------

@cli.group("taxonomy", cls=PropaGroup)
def taxonomy_cli() -> None:
    """Show what is generated from configs/taxonomy.yaml."""


@taxonomy_cli.command("config")
@taxonomy_option
def taxonomy_config_cli(taxonomy_path: str | None) -> None:
    """Print the Label Studio labeling config (XML)."""
    from annotate.taxonomy import label_config

    click.echo(label_config(_taxonomy(taxonomy_path)), nl=False)


@taxonomy_cli.command("guidelines")
@taxonomy_option
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
def taxonomy_guidelines_cli(taxonomy_path: str | None, fmt: str) -> None:
    """Print the annotation guidelines (French) in Markdown or HTML."""
    from annotate.taxonomy import guidelines_html, guidelines_markdown

    taxonomy = _taxonomy(taxonomy_path)
    click.echo(guidelines_html(taxonomy) if fmt == "html" else guidelines_markdown(taxonomy), nl=False)


@taxonomy_cli.command("labels")
@taxonomy_option
def taxonomy_labels_cli(taxonomy_path: str | None) -> None:
    """Print the technique ids (the label names of datasets and models), one a line."""
    taxonomy = _taxonomy(taxonomy_path)
    for technique in taxonomy.techniques:
        click.echo(f"{technique.id}\t{technique.category}\t{technique.name}")


# -- gold corpus -----------------------------------------------------------------------

@cli.group("gold", cls=PropaGroup)
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


# -- sources ---------------------------------------------------------------------------

@cli.group("sources", cls=PropaGroup)
def sources_cli() -> None:
    """Who articles cite, and how far those sources can be trusted."""


@sources_cli.command("profile")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write one JSON line per article here.")
@registry_option
@kinds_option
@click.option("--reparse", is_flag=True,
              help="Find the attributions again even when INPUT stores them (`propa ingest --sources`).")
@click.option("--encoding", help="Decode article files with this encoding instead of UTF-8.")
@taxonomy_option
def sources_profile_cli(input_path: Path, out: Path | None, registry_path: Path | None, kinds_choice: str,
                        kinds_from: tuple[Path, ...], reparse: bool, encoding: str | None,
                        taxonomy_path: str | None) -> None:
    """Sourcing profile of each article of INPUT (articles or a sentence corpus).

    Per article: attributions, the share named / anonymous or vague / state-affiliated,
    how dominant the top source is, sentences that attribute nothing, and a score from
    0 to 100 with the reasons it lost points. A corpus written by `propa ingest --sources`
    is profiled from the attributions it stores, without parsing again (--reparse to redo).
    """
    import json

    from tqdm.auto import tqdm

    from annotate.text.corpus import has_stored_attributions, read_sentences
    from annotate.files import atomic_write
    from annotate.sources.profile import profile_corpus
    from annotate.sources.registry import load_registry

    from annotate.sources.attribution import Attributor, StoredAttributions
    from annotate.sources.kinds import kind_model

    registry = load_registry(registry_path, _taxonomy(taxonomy_path))
    if not reparse and has_stored_attributions(Path(input_path)):
        attributor = StoredAttributions(input_path, registry)
        click.echo(f"using the attributions stored in {input_path} (--reparse to find them again)", err=True)
    else:
        attributor = Attributor(registry, kinds=kind_model(kinds_choice, kinds_from))
    profiles = []
    with tqdm(unit=" article", desc="profiling") as bar:
        for profile in profile_corpus(read_sentences(input_path, encoding), registry, attributor):
            profiles.append(profile)
            bar.update(1)
    click.echo(f"{'article':28} {'sent.':>5} {'attr.':>5} {'named':>5} {'anon.':>5} {'state':>5} "
               f"{'top':>5} {'unattr.':>7} {'score':>5}")
    for p in profiles:
        click.echo(f"{p.article_id[:28]:28} {p.sentences:5} {p.attributions:5} {p.named:5} {p.anonymous:5} "
                   f"{p.state_media:5} {p.top_share:5.0%} {p.unattributed:7} {p.score:5}")
        click.echo(f"    {'; '.join(p.reasons)}")
    if out is not None:
        with atomic_write(out) as handle:
            for p in profiles:
                handle.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
        click.echo(f"{len(profiles)} profiles -> {out}")


@sources_cli.command("suggest")
@click.argument("pulled", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the suggested entries (YAML) here instead of printing them.")
@click.option("--min-annotations", default=1, show_default=True, type=click.IntRange(1),
              help="Leave out sources annotated fewer times.")
@registry_option
@taxonomy_option
def sources_suggest_cli(pulled: Path, out: Path | None, min_annotations: int, registry_path: Path | None,
                        taxonomy_path: str | None) -> None:
    """Registry suggestions from annotators' corrections (PULLED: what `propa pull` wrote).

    Named sources that annotators marked but the registry lacks, or rates with another
    kind or reliability, as YAML entries to review before adding them to the registry.
    """
    from annotate.quality.adjudicate import read_pulled_rows
    from annotate.files import atomic_write
    from annotate.sources.registry import load_registry, suggest, suggestions_yaml

    registry = load_registry(registry_path, _taxonomy(taxonomy_path))
    found = suggest(read_pulled_rows(pulled), registry, min_annotations)
    text = suggestions_yaml(found)
    new = sum(1 for s in found if s.entry is None)
    if out is None:
        click.echo(text, nl=False)
    else:
        with atomic_write(out) as handle:
            handle.write(text)
    click.echo(f"{len(found)} suggestions: {new} sources not in {registry.path}, {len(found) - new} rated "
               f"otherwise" + (f" -> {out}" if out else ""), err=out is None)


def _register_training_commands() -> None:
    from annotate.cli.training import register

    register(cli, PropaGroup)


_register_training_commands()


def _waiting_for_lock() -> None:
    click.echo("another propa push from this machine is running: waiting for it to finish...", err=True)


def main() -> None:
    # SIGTERM (a `kill`, a job scheduler's time limit) ends the command like Ctrl-C does, so
    # that temporary files are removed and export snapshots deleted on the way out.
    signal.signal(signal.SIGTERM, _terminated)
    if not sys.stderr.isatty():  # a log file: its lines are read, bars would redraw in it
        os.environ.setdefault("TQDM_DISABLE", "1")
    cli(prog_name="propa")


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    main()
