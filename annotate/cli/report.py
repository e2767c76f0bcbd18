"""`propa report`: static HTML pages of predictions or annotations, one per article and a corpus index."""

from __future__ import annotations

from pathlib import Path

import click

from annotate.cli.options import registry_option, taxonomy_option, threads_option
from annotate.cli.options import load_taxonomy_option as _taxonomy


@click.command("report")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--predictions", "predictions_path", type=click.Path(path_type=Path),
              help="Stored predictions: the JSONL of `propa preannotate`, or the folder of shards of "
                   "`propa preannotate --engine ray`.")
@click.option("--annotations", "pulled", type=click.Path(path_type=Path),
              help="Annotations: what `propa pull` wrote (its folder or its annotations.jsonl).")
@click.option("-m", "--model", "model_dir", type=click.Path(file_okay=False, path_type=Path),
              help="A model folder (`propa train`): predict INPUT now, with the cue rules and the sources, "
                   "as `propa preannotate` would, and report that.")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The report's folder: index.html and articles/*.html (pages already there are replaced).")
@click.option("--no-sources", is_flag=True, help="With -m: no source spans and no sourcing profile (faster).")
@click.option("--encoding", help="Decode article files with this encoding instead of UTF-8.")
@registry_option
@threads_option
@taxonomy_option
def report_cli(input_path: Path, predictions_path: Path | None, pulled: Path | None, model_dir: Path | None,
               out: Path, no_sources: bool, encoding: str | None, registry_path: Path | None, threads: int,
               taxonomy_path: str | None) -> None:
    """Static HTML report of INPUT: one page per article, and OUT/index.html for the corpus.

    INPUT is the text the predictions or annotations were made on: articles (any format `propa
    ingest` reads) or a sentence corpus (`propa ingest`, JSONL or Parquet). Give one of
    --predictions (stored: nothing is computed again, 1,000 articles take seconds), --annotations
    (a pull: the techniques most annotators chose, each annotator's spans) or -m MODEL.

    \b
    An article page shows the text with each sentence's techniques highlighted (one colour per
    technique, from the taxonomy; several techniques stack), the French name, definition, origin
    and score of each on hover or keyboard focus, cue spans underlined, source mentions boxed in the
    colour of their reliability; a legend with counts, the table of sources (kind, reliability,
    attributions), the sourcing profile (score, band and the reasons for each point lost), and the
    model_version or the annotators.
    The index page shows techniques per outlet and per month, the sourcing score by outlet, the
    most frequent techniques and a link to each article, with filters by outlet, months and
    technique. The pages need no server and no network: open OUT/index.html in a browser.
    """
    from tqdm.auto import tqdm

    from annotate.errors import InputError
    from annotate.report.views import annotated_articles, article_of, modelled_articles, predicted_articles
    from annotate.report.write import write_report
    from annotate.sources.ratings import load_ratings
    from annotate.sources.registry import load_registry
    from annotate.text.corpus import read_sentences

    given = [name for name, value in (("--predictions", predictions_path), ("--annotations", pulled),
                                      ("-m", model_dir)) if value is not None]
    if len(given) != 1:
        raise InputError("give one of --predictions FILE, --annotations PULLED or -m MODEL"
                         + (f" (not {' and '.join(given)})" if given else ""))
    if no_sources and model_dir is None:
        raise InputError("--no-sources goes with -m (stored predictions already say whether they have sources)")
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: a file; --out is the report's folder")
    taxonomy = _taxonomy(taxonomy_path)
    registry = load_registry(registry_path, taxonomy)
    ratings = load_ratings()
    sentences = read_sentences(input_path, encoding)
    total = None
    if predictions_path is not None:
        from train.preannotate import read_predictions
        from train.ray_engine import read_shards

        if not predictions_path.exists():
            raise InputError(f"{predictions_path}: no such file or folder")
        predictions = read_shards(predictions_path) if predictions_path.is_dir() else read_predictions(predictions_path)
        total = len({article_of(sentence_id) for sentence_id in predictions})
        articles = predicted_articles(sentences, predictions, taxonomy, str(predictions_path), registry, ratings)
    elif pulled is not None:
        from annotate.studio.pulled import read_pulled_rows, rows_file

        rows = {str(row["id"]): row for row in read_pulled_rows(rows_file(pulled))}
        articles = annotated_articles(sentences, rows, taxonomy, str(pulled), registry, ratings)
    else:
        from train.ray_engine import PredictorSpec

        spec = PredictorSpec(taxonomy_path=taxonomy_path, model_dir=str(model_dir), sources=not no_sources,
                             registry_path=registry_path and str(registry_path), threads=threads)
        predictor = spec.build()

        def predict(group: list) -> list[dict]:
            return predictor.predict(group, batch_size=spec.batch_size)

        articles = modelled_articles(sentences, predict, taxonomy, f"model {model_dir}", registry, ratings)
    with tqdm(total=total, unit=" article", desc="report", disable=None) as bar:  # None: not in a log file
        summary = write_report(articles, taxonomy, out, progress=bar.update)
    missing = f", {summary.without_record} without a prediction or annotation" if summary.without_record else ""
    click.echo(f"{summary.articles} article page{'s' if summary.articles != 1 else ''} ({summary.sentences} "
               f"sentences, {summary.with_techniques} with a technique{missing}) -> {summary.index}")


COMMANDS = (report_cli,)
