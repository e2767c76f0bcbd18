"""`propa import-semeval` and `propa data`: datasets from SemEval folders and JSONL, splits, statistics."""

from __future__ import annotations

import json
from pathlib import Path

import click

from annotate.cli.base import PropaGroup
from annotate.cli.options import taxonomy_option
from annotate.cli.options import load_taxonomy_option as _taxonomy


@click.command("import-semeval")
@click.argument("paths", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--level", type=click.Choice(["paragraph", "sentence"]), default="paragraph", show_default=True,
              help="One row per paragraph (SemEval's unit, labels from labels.txt) or per sentence "
                   "(labels from the spans that overlap it; needs spans/).")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Dataset folder to write (split 'all'; split it with `propa data split`).")
@click.option("--language", "languages", multiple=True, metavar="CODE",
              help="Language of each folder, once per folder in order (default: guessed from the path: "
                   "a component fr, en, it, ge, po, ru, de, pl or semeval2023-<code>).")
@taxonomy_option
def import_semeval_cli(paths: tuple[Path, ...], level: str, out: Path, languages: tuple[str, ...],
                       taxonomy_path: str | None) -> None:
    """Read SemEval-2023 Task 3 folders (articles/, labels.txt, optional spans/) into one dataset.

    The rows have the schema `propa pull` writes: technique labels from the taxonomy,
    the gold spans as one annotation by "semeval2023-task3", the folder's language in
    the `language` column. CRLF articles are read with their span offsets shifted to LF
    text. With several folders, article ids are prefixed with the language ("en/111").
    """
    from annotate.dataset import write_dataset
    from train.data.semeval import count_by_language, import_semeval_folders

    taxonomy = _taxonomy(taxonomy_path)
    rows = import_semeval_folders(paths, taxonomy, level, languages)
    write_dataset({"all": rows}, taxonomy, out)
    by_language = count_by_language(rows)
    parts = [f"{code + ': ' if code else ''}{n['articles']} articles, {n['rows']} {level}s "
             f"({n['labelled']} with a technique)" for code, n in by_language.items()]
    if len(by_language) > 1:
        parts.append(f"{len({row['article_id'] for row in rows})} articles, {len(rows)} {level}s in all")
    click.echo(f"{'; '.join(parts)} -> {out}")


@click.group("data", cls=PropaGroup)
def data_cli() -> None:
    """Build, merge and split datasets, and count their labels."""


@data_cli.command("from-jsonl")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Dataset folder to write (split 'all').")
@taxonomy_option
def data_from_jsonl_cli(path: Path, out: Path, taxonomy_path: str | None) -> None:
    """Labelled sentences from elsewhere (JSONL) -> a dataset.

    One object a line: article_id, text, labels (technique ids, see `propa taxonomy
    labels`); optional id, start, end. corpus/labelled/seed_fr.jsonl is an example.
    """
    from annotate.dataset import read_labelled_jsonl, write_dataset

    taxonomy = _taxonomy(taxonomy_path)
    rows = read_labelled_jsonl(path, taxonomy)
    write_dataset({"all": rows}, taxonomy, out)
    labelled = sum(1 for row in rows if row["labels"])
    click.echo(f"{len({r['article_id'] for r in rows})} articles, {len(rows)} sentences "
               f"({labelled} with a technique) -> {out}")


@data_cli.command("merge")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Dataset folder to write.")
@click.option("--into", default=None, metavar="SPLIT",
              help="Split for the rows of unsplit inputs  [default: train when an input has one, else all].")
@taxonomy_option
def data_merge_cli(paths: tuple[Path, ...], out: Path, into: str | None, taxonomy_path: str | None) -> None:
    """Merge datasets: pulls, gold sets, imports, labelled JSONL -> one dataset.

    PATHS are dataset folders (a `propa pull --out` folder reads its dataset/) or labelled .jsonl
    files, in order: when the same sentence id comes twice, the later input wins (its text, labels
    and annotations), counted and reported per input; the row stays in the split it was first
    seen in, so a held-out split keeps its sentences. Splits are kept; rows of unsplit inputs
    go to --into.
    """
    from train.data.merge import merge_datasets

    summary = merge_datasets(list(paths), _taxonomy(taxonomy_path), out, into)
    splits = ", ".join(f"{split} {n}" for split, n in summary.splits.items())
    for count in summary.inputs:
        click.echo(f"{count.path}: {count.rows} rows, {count.new} new, {count.replaced} replacing an earlier input's")
    click.echo(f"{sum(summary.splits.values())} rows ({splits}); {summary.replaced} replaced by a later input "
               f"-> {summary.out}")


@data_cli.command("split")
@click.argument("data", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Dataset folder to write, with splits train, dev (and test).")
@click.option("--dev", default=0.1, show_default=True, type=float, help="Share of rows for dev.")
@click.option("--test", default=0.1, show_default=True, type=float, help="Share of rows for test (0: none).")
@click.option("--seed", default=13, show_default=True, type=int)
@click.option("--eval-language", metavar="CODE",
              help="Draw dev and test from the rows of this language only (e.g. fr; the shares apply to "
                   "them) and train on every other language's rows.")
@taxonomy_option
def data_split_cli(data: Path, out: Path, dev: float, test: float, seed: int, eval_language: str | None,
                   taxonomy_path: str | None) -> None:
    """Split a dataset into train/dev/test by article, label proportions kept even.

    All rows of an article go to the same split (iterative stratification over
    articles). The input's splits are pooled first; the same input and seed always
    give the same split. With --eval-language, that language's rows are split as
    they would be alone, and the other languages' rows all go to train.
    """
    from datasets import concatenate_datasets

    from annotate.dataset import load_dataset_dict, save_dataset_dict
    from train.data.split import fractions_for, label_table, row_languages, split_dataset

    loaded = load_dataset_dict(data, _taxonomy(taxonomy_path))
    pooled = concatenate_datasets(list(loaded.values()))
    splits = split_dataset(pooled, fractions_for(dev, test), seed, eval_language)
    save_dataset_dict(splits, out)
    _, columns = label_table(splits)
    sizes = ", ".join(f"{name} {col['rows']} rows/{col['articles']} articles" for name, col in columns.items())
    if eval_language is not None:
        others = sum(1 for code in row_languages(pooled) if code != eval_language)
        sizes += f" (dev/test: '{eval_language}' only; train has {others} rows of other languages)"
    click.echo(f"{sizes} -> {out}")


@data_cli.command("stats")
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--all-labels", is_flag=True, help="List labels that occur in no split too.")
def data_stats_cli(data: Path, as_json: bool, all_labels: bool) -> None:
    """Rows, articles and rows per label, for each split of a dataset (and rows per language, if several)."""
    from annotate.dataset import load_dataset_dict
    from train.data.split import label_table, language_table

    loaded = load_dataset_dict(data)
    names, columns = label_table(loaded)
    languages = language_table(loaded)
    if as_json:
        for split, counts in languages.items():
            columns[split]["languages"] = counts
        click.echo(json.dumps(columns, indent=2, ensure_ascii=False))
        return
    codes = list(next(iter(languages.values()), {}))  # every split lists the same languages
    for split, counts in languages.items():
        columns[split].update({f"  {code or '(none)'}": counts[code] for code in codes})
    names = [names[0], *(f"  {code or '(none)'}" for code in codes), *names[1:]]  # under "rows"
    splits = list(columns)
    width = max(len(n) for n in names)
    click.echo(f"{'':{width}} " + " ".join(f"{s:>8}" for s in splits))
    for name in names:
        values = [columns[s][name] for s in splits]
        if all_labels or any(values) or name in ("rows", "articles", "rows with a label"):
            click.echo(f"{name:{width}} " + " ".join(f"{v:>8}" for v in values))


COMMANDS = (import_semeval_cli, data_cli)
