"""`propa taxonomy`: the labeling config, the guidelines and the labels, from configs/taxonomy.yaml."""

from __future__ import annotations


import click

from annotate.cli.base import PropaGroup
from annotate.cli.options import taxonomy_option
from annotate.cli.options import load_taxonomy_option as _taxonomy


@click.group("taxonomy", cls=PropaGroup)
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


COMMANDS = (taxonomy_cli,)
