"""Options and helpers shared by the `propa` commands (the modules of annotate.cli), defined once.

Click lives in annotate/cli/ only: the domain modules (taxonomy, kinds,
sources...) hold the choices and texts, never decorators.
"""

from __future__ import annotations

from pathlib import Path

import click

from annotate.sources.kinds import KIND_CHOICES, KINDS_HELP

TAXONOMY_HELP = "Taxonomy file (default: configs/taxonomy.yaml of this project, or $PROPA_TAXONOMY)."
URL_HELP = ("Label Studio URL (default: $LABEL_STUDIO_URL, then the local server's config). "
            "The API key is read from $LABEL_STUDIO_API_KEY or the local config, never from the command line.")

taxonomy_option = click.option("--taxonomy", "taxonomy_path", envvar="PROPA_TAXONOMY",
                               type=click.Path(dir_okay=False), help=TAXONOMY_HELP)
url_option = click.option("--url", help=URL_HELP)
registry_option = click.option("--registry", "registry_path", type=click.Path(dir_okay=False, path_type=Path),
                               help="Source registry, for kinds and reliability (default: configs/sources.yaml).")
project_option = click.option("--project", default=None, show_default=False,
                              help="Project title or id (default: 'Propa : techniques et sources').")


def kinds_option(function):
    """The --kinds, --kinds-from and --source-tagger options of the commands that extract attributions."""
    function = click.option("--source-tagger", "source_tagger", type=click.Path(file_okay=False, path_type=Path),
                            help="Also a source-span tagger (`propa sources train-tagger`): its spans are added "
                                 "where the rules find no source (their origin: tagger).")(function)
    function = click.option("--kinds-from", "kinds_from", multiple=True, type=click.Path(path_type=Path),
                            help="With --kinds learned: also learn from these typed source spans (a `propa pull` "
                                 "folder or its annotations.jsonl, or a gold file). Repeatable.")(function)
    return click.option("--kinds", "kinds_choice", type=click.Choice(KIND_CHOICES), default="learned",
                        show_default=True, help=KINDS_HELP)(function)


def make_attributor(registry, kinds_choice: str, kinds_from, source_tagger: Path | None, threads: int = 0):
    """The attributor the --kinds, --kinds-from and --source-tagger options ask for."""
    from train.predictor import build_attributor

    return build_attributor(registry, kinds_choice, kinds_from, source_tagger, threads)


def load_taxonomy_option(path: str | None):
    """The taxonomy a --taxonomy option names (None: the shipped one, or $PROPA_TAXONOMY)."""
    from annotate.taxonomy import load_taxonomy

    return load_taxonomy(path)

batch_option = click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1, 4096),
                            help="Texts scored at once.")
threads_option = click.option("--threads", default=0, show_default=True, type=click.IntRange(0, 512),
                              help="CPU threads for a CamemBERT model (0: all cores).")
runtime_option = click.option("--runtime", type=click.Choice(["torch", "onnx"]), default="torch", show_default=True,
                              help="Score a CamemBERT model with PyTorch, or with its checked ONNX export "
                                   "(`propa export-onnx`; faster on a CPU).")
