"""`propa ingest`: articles -> a sentence corpus."""

from __future__ import annotations

from pathlib import Path

import click

from annotate.cli.options import kinds_option, make_attributor, registry_option, taxonomy_option
from annotate.cli.options import load_taxonomy_option as _taxonomy


@click.command("ingest")
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
               source_tagger: Path | None, taxonomy_path: str | None) -> None:
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

    if not with_sources and (registry_path or kinds_from or source_tagger):
        raise InputError("--registry, --kinds-from and --source-tagger apply to --sources: add --sources, "
                         "or leave them out")
    attributor = None
    if with_sources:
        from annotate.sources.registry import load_registry

        registry = load_registry(registry_path, _taxonomy(taxonomy_path))
        attributor = make_attributor(registry, kinds_choice, kinds_from, source_tagger)
    summary = ingest(list(paths), out, encoding=encoding, attributor=attributor)
    click.echo(f"{summary.articles} articles, {summary.sentences} sentences -> {summary.out}")


COMMANDS = (ingest_cli,)
