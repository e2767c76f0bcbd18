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

batch_option = click.option("--batch-size", type=click.IntRange(1, 4096),
                            help="Texts scored at once (default: the model's own, from its training config: a "
                                 "CamemBERT's batch size, an encoder's; else 32).")
threads_option = click.option("--threads", default=0, show_default=True, type=click.IntRange(0, 512),
                              help="CPU threads for a CamemBERT model (0: all cores).")
runtime_option = click.option("--runtime", type=click.Choice(["torch", "onnx"]), default="torch", show_default=True,
                              help="Score a CamemBERT model with PyTorch, or with its checked ONNX export "
                                   "(`propa export-onnx`; faster on a CPU).")


def ray_options(function):
    """--engine and the options of the Ray engine, for the commands that map over articles; the
    command receives them as one ``ray`` dict (see :func:`ray_settings`)."""
    specs = [
        ("--engine", dict(type=click.Choice(["local", "ray"]), default="local", show_default=True,
                          help="local: this process, streaming; ray: a pool of actors on Ray Data, on this machine "
                               "or a cluster (`pip install 'propa[ray]'`), written as shards, resumable shard by "
                               "shard.")),
        ("--address", dict(help="With --engine ray: the cluster to submit to ('auto', HOST:PORT, ray://HOST:PORT); "
                                "without it Ray starts on this machine. Its workers read INPUT at the same path.")),
        ("--workers", dict(default=2, show_default=True, type=click.IntRange(1, 10000),
                           help="With --engine ray: actors, each with its own copy of the model.")),
        ("--cpus-per-worker", dict(default=1.0, show_default=True, type=click.FloatRange(0.1, 256),
                                   help="With --engine ray: CPUs each actor reserves (and the threads its model "
                                        "uses).")),
        ("--gpus-per-worker", dict(default=0.0, show_default=True, type=click.FloatRange(0, 16),
                                   help="With --engine ray: GPUs each actor reserves (a fraction shares one).")),
        ("--shard-size", dict(default=500, show_default=True, type=click.IntRange(1),
                              help="With --engine ray: articles a shard (the unit a rerun skips or redoes).")),
        ("--ship", dict(is_flag=True, help="With --engine ray: send the model and the files the options name to "
                                           "the workers through Ray's object store (a cluster without a shared "
                                           "file system for them).")),
    ]
    for name, settings in reversed(specs):
        function = click.option(name, f"ray_{name[2:].replace('-', '_')}", **settings)(function)
    return function


def ray_settings(kwargs: dict, source_workers: int = 0):
    """Pop the --engine ray options from a command's keyword arguments: ``(engine, RayOptions)``;
    a Ray option given with the local engine, or a malformed address, is a usage error."""
    import re

    from annotate.errors import InputError

    given = {name[4:]: kwargs.pop(name) for name in list(kwargs) if name.startswith("ray_")}
    engine = given.pop("engine")
    address = given["address"]
    if engine == "local" and (address or given["ship"]):
        raise InputError(f"--{'address' if address else 'ship'} is for --engine ray")
    if address and not (address == "auto" or re.fullmatch(r"(?:ray://)?[\w.-]+:\d+", address)):
        raise InputError(f"--address {address}: expected 'auto', HOST:PORT or ray://HOST:PORT")
    from train.ray_engine import RayOptions

    return engine, RayOptions(given["workers"], given["cpus_per_worker"], given["gpus_per_worker"], address,
                              given["shard_size"], source_workers, given["ship"])


def run_ray(input_path: Path, work, out: Path, options, encoding: str | None, doing: str):
    """Run a work on Ray with a progress bar (sentences, with a total when INPUT is a corpus), and
    say what was done."""
    from tqdm.auto import tqdm

    from train.ray_engine import run_on_ray

    with tqdm(unit=" sentence", desc=f"{doing} (ray)") as bar:
        def total(count: int | None) -> None:
            bar.total = count
            bar.refresh()

        summary = run_on_ray(input_path, work, out, options, encoding, progress=bar.update, total=total)
    click.echo(f"{summary.sentences} sentences read, {summary.records} records written in {summary.written} shards "
               f"by {summary.workers} workers, {summary.skipped} shards already in {summary.out} ({summary.shards} "
               f"in all); model_version {summary.model_version}")
    return summary


def absolute(path: Path | str | None) -> str | None:
    """A path as Ray's workers, which may run elsewhere, are given it: absolute."""
    return None if path is None else str(Path(path).resolve())
