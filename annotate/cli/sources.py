"""`propa sources`: who each article cites, and registry suggestions from annotators."""

from __future__ import annotations

import json
from pathlib import Path

import click

from annotate.cli.base import PropaGroup
from annotate.cli.options import kinds_option, registry_option, taxonomy_option
from annotate.cli.options import load_taxonomy_option as _taxonomy


@click.group("sources", cls=PropaGroup)
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
    from annotate.studio.pulled import read_pulled_rows
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


COMMANDS = (sources_cli,)
