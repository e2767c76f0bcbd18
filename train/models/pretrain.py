"""Continued masked-language-model pre-training of a CamemBERT on unlabelled texts.

A team with many unannotated articles adapts the model to its domain before fine-tuning:
from scratch (a SentencePiece tokenizer trained on the texts, then a small CamemBERT) or
from given weights. The output folder (model + tokenizer, safetensors) is what
``propa train --from-pretrained DIR`` (``camembert.model: DIR``) starts from.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from annotate.errors import InputError
from train.models.config import PretrainConfig
from train.models.model import prepare_run, replace_with, staging_dir

CONFIG_FILE = "pretrain_config.yaml"


@dataclass(frozen=True)
class PretrainSummary:
    output: Path
    texts: int
    tokens: int
    seconds: float
    final_loss: float | None


def read_texts(config: PretrainConfig) -> list[str]:
    from train.models.evaluate import read_records

    path = Path(config.texts)
    if (path / "dataset_dict.json").is_file() and config.split is None:
        from annotate.dataset import load_dataset_dict

        texts = [text for dataset in load_dataset_dict(path).values() for text in dataset["text"]]
    else:
        texts = [record.text for record in read_records(path, config.split)]
    texts = [text for text in texts if text.strip()]
    if not texts:
        raise InputError(f"{path}: no text to pre-train on")
    return texts


def masked_positions_trainer(trainer_class):
    """A Trainer whose MLM loss scores the vocabulary at the masked positions only.

    The stock masked-LM head projects every token onto the whole vocabulary, although only
    the ~15 % masked ones count in the loss; on a small model that projection is about
    half of a training step. Same loss, computed on the positions that matter.
    """
    import torch

    class MaskedPositionsTrainer(trainer_class):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs.pop("labels")
            hidden = model.base_model(**inputs).last_hidden_state
            masked = labels != -100
            if not bool(masked.any()):  # nothing masked in this batch: no signal, no NaN
                loss = hidden.sum() * 0.0
                return (loss, {}) if return_outputs else loss
            logits = model.lm_head(hidden[masked])
            loss = torch.nn.functional.cross_entropy(logits.float(), labels[masked])
            return (loss, {"logits": logits}) if return_outputs else loss

    return MaskedPositionsTrainer


def pretrain(config: PretrainConfig, resume: bool = False, overwrite: bool = False) -> PretrainSummary:
    from transformers import (AutoModelForMaskedLM, DataCollatorForLanguageModeling, Trainer, TrainingArguments,
                              set_seed)
    from transformers.utils import logging as hf_logging

    from train.models.transformer import EncodedTexts, build_model, run_trainer, set_threads

    output = Path(config.output)
    checkpoints = prepare_run(output, resume, overwrite)
    texts = read_texts(config)
    set_threads(config.threads)
    set_seed(config.seed)
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    tokenizer, model = build_model(AutoModelForMaskedLM, config.model, config.scratch, config.max_length, texts,
                                   checkpoints, resume, config.seed)

    dataset = EncodedTexts(tokenizer, texts, config.max_length)
    tokens = sum(len(ids) for ids in dataset.encoded["input_ids"])
    args = TrainingArguments(
        output_dir=str(checkpoints), num_train_epochs=config.epochs, per_device_train_batch_size=config.batch_size,
        learning_rate=config.learning_rate, weight_decay=config.weight_decay, warmup_steps=config.warmup,
        save_strategy="epoch", save_total_limit=1, logging_strategy="steps",
        logging_steps=max(1, len(dataset) // config.batch_size // 2), seed=config.seed, data_seed=config.seed,
        report_to="none", use_cpu=True, dataloader_num_workers=0,
        # Batches of similar length: far less padding on texts of very unequal length.
        train_sampling_strategy="group_by_length",
    )
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=config.mlm_probability, seed=config.seed)
    trainer_class = masked_positions_trainer(Trainer) if hasattr(model, "lm_head") else Trainer
    trainer = trainer_class(model=model, args=args, train_dataset=dataset, data_collator=collator,
                            processing_class=tokenizer)
    result, seconds = run_trainer(trainer, checkpoints, resume)

    staging = staging_dir(output)
    shutil.rmtree(staging, ignore_errors=True)
    trainer.save_model(str(staging))
    tokenizer.save_pretrained(str(staging))
    (staging / "training_args.bin").unlink(missing_ok=True)  # a pickle: the folder holds none
    (staging / CONFIG_FILE).write_text(yaml.safe_dump(config.to_dict(), sort_keys=False, allow_unicode=True),
                                       encoding="utf-8")
    replace_with(staging, output)
    shutil.rmtree(checkpoints, ignore_errors=True)
    return PretrainSummary(output, len(texts), tokens, seconds, float(result.training_loss))
