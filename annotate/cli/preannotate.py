"""`propa preannotate` and `propa predict`: a model's predictions on new text, and back into Label Studio."""

from __future__ import annotations

from pathlib import Path

import click

from annotate.cli.options import (
    absolute,
    batch_option,
    kinds_option,
    ray_options,
    ray_settings,
    run_ray,
    registry_option,
    runtime_option,
    taxonomy_option,
    threads_option,
)
from annotate.cli.options import load_taxonomy_option as _taxonomy


@click.command("preannotate")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-m", "--model", "model_dir", type=click.Path(path_type=Path),
              help="Model folder (`propa train`); not needed with --sources-only.")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=None,
              help="Predictions JSONL (appended to: a rerun skips the sentences already in it)  [default: "
                   "predictions.jsonl]; with --engine ray, a folder of shards and their manifest  [default: "
                   "predictions/].")
@click.option("--cues", "cues_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Cue rules (default: configs/cues.yaml).")
@click.option("--no-cues", is_flag=True, help="Model scores only, no cue rules.")
@click.option("--no-sources", is_flag=True, help="No source spans (skips the French parser: faster).")
@click.option("--sources-only", is_flag=True,
              help="Only the source spans with their kind and reliability (no technique model needed).")
@registry_option
@kinds_option
@click.option("--encoding", help="Decode article files with this encoding instead of UTF-8.")
@click.option("--push", is_flag=True, help="Then add the predictions to the Label Studio project.")
@click.option("--project", default=None, help="With --push: project title or id "
              "(default: 'Propa : techniques et sources'; created when missing).")
@click.option("--url", help="With --push: Label Studio URL (default: $LABEL_STUDIO_URL, then the local "
              "server's config). The API key comes from $LABEL_STUDIO_API_KEY or the local config.")
@click.option("--uncertainty-sampling", is_flag=True,
              help="With --push: set the project's sampling so the least certain sentences come first.")
@click.option("--source-workers", default=0, show_default=True, type=click.IntRange(0, 10000),
              help="With --engine ray: find the sources in a pool of this many CPU actors of their own (0: in "
                   "the model's actors), e.g. beside model actors on GPUs.")
@ray_options
@batch_option
@threads_option
@runtime_option
@taxonomy_option
def preannotate_cli(input_path: Path, model_dir: Path | None, out: Path, cues_path: Path | None, no_cues: bool,
                    no_sources: bool, sources_only: bool, registry_path: Path | None, kinds_choice: str,
                    kinds_from: tuple[Path, ...], source_tagger: Path | None, encoding: str | None, push: bool,
                    project: str | None, url: str | None, uncertainty_sampling: bool, source_workers: int,
                    batch_size: int | None, threads: int, runtime: str, taxonomy_path: str | None, **ray) -> None:
    """Pre-annotate a corpus: one Label Studio prediction per sentence.

    INPUT is articles (any format `propa ingest` reads) or a sentence corpus (JSONL,
    or Parquet with the same columns), or a glob pattern of them ('feeds/*.parquet'). Each
    prediction holds the techniques above their thresholds (choices), the cue spans
    found by configs/cues.yaml (a rule hit also raises its technique's score), the
    sources each sentence cites (span, kind, reliability from configs/sources.yaml),
    the origin of each item, the model_version, every score, and a task score for
    uncertainty sampling (low: a technique sits near its threshold).

    With --engine ray the same predictions are made by a pool of actors on Ray Data, one model
    each, which read their part of INPUT themselves, and written as shards (shard-00000.jsonl...)
    with a manifest.json under --out; a rerun keeps the finished shards and never writes a
    sentence twice.
    """
    from tqdm.auto import tqdm

    from annotate.text.corpus import read_sentences
    from train.preannotate import preannotate
    from train.ray_engine import PredictorSpec

    from annotate.errors import InputError

    engine, options = ray_settings(ray, source_workers)
    if source_workers and (engine == "local" or no_sources):
        raise InputError("--source-workers is for --engine ray with sources")
    if sources_only and (model_dir is not None or no_sources):
        raise InputError("--sources-only takes no --model and no --no-sources")
    if not sources_only and model_dir is None:
        raise InputError("give a model (-m MODEL), or --sources-only")

    def path(p: Path | None) -> str | None:  # Ray's workers may run elsewhere: absolute paths for them
        return absolute(p) if engine == "ray" else None if p is None else str(p)

    spec = PredictorSpec(taxonomy_path=path(taxonomy_path), model_dir=None if sources_only else path(model_dir),
                         cues_path=path(cues_path), no_cues=no_cues or sources_only, sources=not no_sources,
                         registry_path=path(registry_path), kinds_choice=kinds_choice,
                         kinds_from=tuple(path(p) for p in kinds_from), source_tagger=path(source_tagger),
                         threads=max(1, int(options.cpus_per_worker)) if engine == "ray" else threads, runtime=runtime,
                         batch_size=batch_size)
    if engine == "ray":
        return _preannotate_ray(input_path, spec, out or Path("predictions"), encoding, push, project, url,
                                uncertainty_sampling, options, taxonomy_path)
    out = out or Path("predictions.jsonl")
    if out.is_dir():
        raise InputError(f"{out}: a folder; the local engine writes one JSONL file (--engine ray writes shards)")
    taxonomy = _taxonomy(taxonomy_path)
    sentences = read_sentences(input_path, encoding)
    predictor = spec.build()
    if push:
        _check_connection(url)
    total = None
    if input_path.is_file() and input_path.suffix == ".jsonl":  # a corpus: one sentence a line, an ETA
        with input_path.open("rb") as handle:
            total = sum(1 for line in handle if line.strip())
    with tqdm(total=total, unit=" sentence", desc="pre-annotating") as bar:
        summary = preannotate(sentences, predictor.model, taxonomy, predictor.cues, out, batch_size,
                              progress=bar.update, attributor=predictor.attributor)
    click.echo(f"{summary.written} sentences pre-annotated ({summary.with_techniques} with a technique, "
               f"{summary.with_cues} with a cue, {summary.with_sources} with a source), {summary.skipped} "
               f"already in {summary.out}; model_version {summary.model_version}")
    if push:
        from train.preannotate import read_predictions

        _push(input_path, encoding, taxonomy, project, url, read_predictions(out), summary.model_version,
              uncertainty_sampling)


def _check_connection(url: str | None) -> None:
    """A wrong URL or token fails now, not after the scoring."""
    from annotate.studio.client import LabelStudioClient
    from annotate.studio.settings import resolve_connection

    LabelStudioClient(resolve_connection(url))


def _push(input_path: Path, encoding: str | None, taxonomy, project: str | None, url: str | None,
          predictions: dict, model_version: str, uncertainty_sampling: bool) -> None:
    """Add the predictions to the Label Studio project (bulk, resumable: `propa push`'s machinery)."""
    from tqdm.auto import tqdm

    from annotate.studio.push import DEFAULT_PROJECT, local_lock, push_predictions
    from annotate.studio.settings import resolve_connection
    from annotate.text.corpus import read_sentences

    with tqdm(unit=" prediction", desc="pushing") as bar:
        pushed = push_predictions(resolve_connection(url), taxonomy, project or DEFAULT_PROJECT,
                                  read_sentences(input_path, encoding), predictions,
                                  model_version, uncertainty_sampling, progress=bar.update,
                                  lock=local_lock(), on_wait=lambda: click.echo(
                                      "another propa push from this machine is running: waiting for it "
                                      "to finish...", err=True))
    click.echo(f"project {pushed.project_id}: {pushed.added} predictions added, {pushed.already_there} "
               f"tasks already had this model version, {pushed.imported_tasks} new tasks with their "
               f"prediction; project model_version {pushed.model_version}")
    click.echo(f"review at {pushed.project_url}")


def _preannotate_ray(input_path: Path, spec, out: Path, encoding: str | None, push: bool, project: str | None,
                     url: str | None, uncertainty_sampling: bool, options, taxonomy_path: str | None) -> None:
    from train.ray_engine import read_shards

    if push:
        _check_connection(url)
    summary = run_ray(input_path, spec, out, options, encoding, "pre-annotating")
    if push:
        _push(input_path, encoding, _taxonomy(taxonomy_path), project, url, read_shards(out), summary.model_version,
              uncertainty_sampling)


@click.command("predict")
@click.argument("model_dir", metavar="MODEL", type=click.Path(path_type=Path))
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), required=True,
              help="File to write; with --engine ray, a folder of shards and their manifest.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "semeval"]), default="jsonl", show_default=True,
              help="jsonl: one line per text with labels, scores and model_version; semeval: the official "
                   "subtask-3 file (INPUT must be a SemEval folder).")
@click.option("--split", help="With a dataset folder as INPUT: the split (default: test).")
@click.option("--encoding", help="Decode article files with this encoding instead of UTF-8.")
@ray_options
@batch_option
@threads_option
@runtime_option
def predict_cli(model_dir: Path, input_path: Path, out: Path, fmt: str, split: str | None,
                encoding: str | None, batch_size: int | None, threads: int, runtime: str, **ray) -> None:
    """Label texts with a trained model (at its saved thresholds).

    INPUT is a dataset folder, a sentence corpus (`propa ingest`; JSONL, Parquet, or a glob
    pattern of them), articles (split into sentences here), or with --format semeval a SemEval
    folder. The output file appears only once complete. With --engine ray (a corpus or
    articles), a pool of actors on Ray Data writes the lines as shards with a manifest.json
    under --out, resumable shard by shard.
    """
    from tqdm.auto import tqdm

    from annotate.errors import InputError
    from train.models.evaluate import predict_file, predict_semeval, read_records
    from train.models.model import load_model
    from train.data.semeval import write_predictions

    engine, options = ray_settings(ray)
    if engine == "ray":
        from train.ray_engine import LabelSpec

        if fmt != "jsonl" or split is not None or (Path(input_path) / "dataset_dict.json").is_file():
            raise InputError("--engine ray reads a sentence corpus or articles and writes jsonl; use the local "
                             "engine for a dataset folder or --format semeval")
        spec = LabelSpec(absolute(model_dir), max(1, int(options.cpus_per_worker)), runtime, batch_size)
        run_ray(input_path, spec, out, options, encoding, "predicting")
        return
    if out.is_dir():
        raise InputError(f"{out}: a folder; the local engine writes one file (--engine ray writes shards)")
    model = load_model(model_dir, threads=threads, runtime=runtime)
    if fmt == "semeval":
        predicted = predict_semeval(model, input_path, batch_size)
        count = write_predictions(((a, line, labels) for (a, line), labels in predicted.items()), out)
    else:
        with tqdm(unit=" text", desc="predicting") as bar:
            count = predict_file(model, read_records(input_path, split, encoding), out, batch_size,
                                 progress=bar.update)
    click.echo(f"{count} predictions ({model.model_version}) -> {out}")


COMMANDS = (preannotate_cli, predict_cli)
