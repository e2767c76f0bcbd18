"""Batch pre-annotation on Ray Data (`propa preannotate --engine ray`): the predictions of
`propa preannotate`, computed by a pool of actors on this machine's cores or on a Ray cluster the
user already runs, written as shards under an output folder with a manifest.

The data flow, one way:

- the driver reads INPUT (articles, or a sentence corpus whose sentences it groups back into their
  articles) and numbers its articles: article ``i`` belongs to shard ``i // shard_size``. Whole
  articles, never a part of one: the attribution rules carry an article's last named source from a
  sentence to the next;
- the articles of the shards not yet written go to Ray Data (``from_items``), a window of shards at
  a time (4 per worker: what the driver holds at once), and ``map_batches`` sends them to a pool of
  actors (``ActorPoolStrategy``), each of which builds the predictor once per window
  (:class:`PredictorSpec`: the same model, cue rules and attributor as the local engine), splits
  articles into sentences and predicts them;
- the driver streams the predictions back and appends each to its shard's ``.partial`` file; a
  shard complete is renamed ``shard-NNNNN.jsonl`` and recorded in ``manifest.json`` (written whole,
  atomically), with its articles, sentences and the file's sha256.

A rerun reads the manifest, keeps the shards it lists (their files checked), drops what a crash left
half-written and computes the rest: no sentence is lost or written twice. A shard that fails is
retried once in the same run (with the other unfinished ones); if it fails again the command stops,
naming the shards left. The manifest also holds the predictor's ``model_version``, the input and
the shard size: a rerun with another model, input or shard size is refused rather than mixed.

Without an address Ray starts on this machine with ``--workers`` actors; with ``--address``
(``auto``, ``ray://HOST:PORT``) the job goes to that cluster, whose workers must read the model
folder (and the registry, the cues...) at the same path: a shared file system.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from annotate.errors import InputError, PropaError

MANIFEST = "manifest.json"
FORMAT = 1
DEFAULT_SHARD_SIZE = 500  # articles a shard
ARTICLES_PER_BATCH = 8  # articles an actor predicts at once (its model batches sentences itself)
ATTEMPTS = 2  # a failed run is retried once, on the shards still unfinished


@dataclass(frozen=True)
class PredictorSpec:
    """What an actor needs to build the predictor the local engine would: paths and choices, which
    travel to the workers, not loaded objects."""

    taxonomy_path: str | None = None
    model_dir: str | None = None
    cues_path: str | None = None
    no_cues: bool = False
    sources: bool = True
    registry_path: str | None = None
    kinds_choice: str = "learned"
    kinds_from: tuple[str, ...] = ()
    source_tagger: str | None = None
    threads: int = 1
    runtime: str = "torch"
    batch_size: int = 32

    def build(self):
        """The :class:`train.predictor.Predictor` these settings name."""
        from annotate.cues import load_cues
        from annotate.taxonomy import load_taxonomy
        from train.predictor import Predictor, build_attributor

        taxonomy = load_taxonomy(self.taxonomy_path)
        model = None
        if self.model_dir is not None:
            from train.models.model import load_model

            model = load_model(Path(self.model_dir), threads=self.threads, runtime=self.runtime)
        cues = None if self.no_cues or model is None else load_cues(taxonomy, self.cues_path and Path(self.cues_path))
        attributor = None
        if self.sources:
            from annotate.sources.registry import load_registry

            registry = load_registry(self.registry_path and Path(self.registry_path), taxonomy)
            attributor = build_attributor(registry, self.kinds_choice, [Path(p) for p in self.kinds_from],
                                          self.source_tagger and Path(self.source_tagger), self.threads)
        return Predictor(taxonomy, model, cues, attributor)


@dataclass
class Manifest:
    model_version: str
    input: str
    shard_size: int
    shards: dict[str, dict] = field(default_factory=dict)  # file name -> articles, sentences, sha256
    format: int = FORMAT

    @classmethod
    def read(cls, folder: Path) -> "Manifest | None":
        path = folder / MANIFEST
        if not path.exists():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(raw["model_version"]), str(raw["input"]), int(raw["shard_size"]), dict(raw["shards"]),
                       int(raw["format"]))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
            raise InputError(f"{path}: not a manifest written by `propa preannotate --engine ray` ({err})") from None

    def write(self, folder: Path) -> None:
        from annotate.files import atomic_write

        with atomic_write(folder / MANIFEST) as handle:
            handle.write(json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n")


@dataclass(frozen=True)
class RaySummary:
    out: Path
    shards: int
    written: int  # shards written by this run
    skipped: int  # shards an earlier run had written
    sentences: int  # sentences predicted by this run
    model_version: str
    workers: int


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.jsonl"


def input_units(path: Path, encoding: str | None = None) -> Iterator[dict]:
    """The articles of INPUT, in order, as plain records for the workers: ``{"article": {...}}`` for
    an article to split, ``{"sentences": [...]}`` for the sentences of a corpus's article (a corpus,
    JSONL or Parquet, lists an article's sentences together). INPUT may be a glob pattern."""
    from annotate.text.articles import read_articles
    from annotate.text.corpus import input_paths, is_corpus_file, read_sentences

    for one in input_paths(Path(path)):
        if not is_corpus_file(one):
            for article in read_articles([one], encoding=encoding):
                record = asdict(article)
                record.pop("origin", None)
                yield {"article": record}
            continue
        current: list[dict] = []
        seen: set[str] = set()
        for sentence in read_sentences(one):
            if current and sentence.article_id != current[0]["article_id"]:
                yield {"sentences": current}
                current = []
            if not current:
                if sentence.article_id in seen:
                    raise InputError(f"{one}: the sentences of article {sentence.article_id} are not together; "
                                     "sort the corpus by article")
                seen.add(sentence.article_id)
            current.append(sentence.to_dict())
        if current:
            yield {"sentences": current}


class PredictBatch:
    """The actor of ``map_batches``: builds the predictor once, then predicts batches of articles."""

    def __init__(self, spec: PredictorSpec):
        self.spec = spec
        self.predictor = spec.build()

    def __call__(self, batch: dict) -> dict:
        from annotate.text.articles import Article
        from annotate.text.corpus import Sentence, split_article

        shards, lines, counts = [], [], []
        for shard, unit in zip(batch["shard"], batch["unit"]):
            record = json.loads(unit)
            if "article" in record:
                sentences = list(split_article(Article(**record["article"])))
            else:
                sentences = [Sentence(**s) for s in record["sentences"]]
            self.predictor.forget()  # a new article: no pronoun refers back to the one before
            predictions = self.predictor.predict(sentences, batch_size=self.spec.batch_size) if sentences else []
            shards.append(int(shard))
            lines.append("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in predictions))
            counts.append(len(predictions))
        return {"shard": shards, "lines": lines, "sentences": counts}


def connect(address: str | None, workers: int, cpus_per_worker: float) -> None:
    """Join the cluster at ``address``, or start Ray on this machine (or use the one already
    started in this process, as tests do)."""
    import logging

    import ray
    import ray.data  # sets up its loggers on import: quieted after

    logging.getLogger("ray.data").setLevel(logging.WARNING)  # its per-operator progress lines: ours is enough
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    if ray.is_initialized():
        return
    if address:
        try:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise PropaError(f"cannot reach the Ray cluster at {address} ({err})") from None
        return
    ray.init(num_cpus=max(1, round(workers * cpus_per_worker)), include_dashboard=False, logging_level="ERROR",
             log_to_driver=False)


def preannotate_ray(input_path: Path, spec: PredictorSpec, out: Path, workers: int = 2, cpus_per_worker: float = 1,
                    gpus_per_worker: float = 0, address: str | None = None, shard_size: int = DEFAULT_SHARD_SIZE,
                    encoding: str | None = None, progress: Callable[[int], None] | None = None,
                    window: int = 0) -> RaySummary:
    """Pre-annotate INPUT on Ray into the folder ``out`` (see the module). ``window``: shards handed to
    Ray at once (0: 4 per worker, at least 8), which bounds what the driver holds."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise PropaError("the Ray engine needs Ray: pip install 'propa[ray]'") from None
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: with --engine ray, --out is a folder of shards (this is a file)")
    version = spec.build().version  # the version every shard is written under; loads the model once here
    manifest = Manifest.read(out) if out.is_dir() else None
    wanted = Manifest(version, str(Path(input_path).absolute()), shard_size)
    if manifest is not None:
        for name in ("model_version", "input", "shard_size"):
            if getattr(manifest, name) != getattr(wanted, name):
                raise InputError(f"{out / MANIFEST}: written with {name} {getattr(manifest, name)}, not "
                                 f"{getattr(wanted, name)}; write to another --out")
        _check_shards(out, manifest)
    else:
        manifest = wanted
        out.mkdir(parents=True, exist_ok=True)
        manifest.write(out)
    for stale in out.glob("*.partial"):
        stale.unlink()  # what a crash left half-written: computed again
    earlier = set(manifest.shards)
    seen = [0]  # shards in the input, counted as it is read
    for pending in _windows(input_path, encoding, shard_size, set(earlier), window or max(8, 4 * workers), seen):
        connect(address, workers, cpus_per_worker)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                _run(pending, spec, out, manifest, workers, cpus_per_worker, gpus_per_worker, progress)
                break
            except Exception as err:  # a worker's error arrives wrapped by Ray: the shards left say what failed
                left = sorted(shard_name(s) for s in pending if shard_name(s) not in manifest.shards)
                pending = {s: units for s, units in pending.items() if shard_name(s) not in manifest.shards}
                for stale in out.glob("*.partial"):
                    stale.unlink()
                if attempt == ATTEMPTS:
                    raise PropaError(f"{out}: {len(left)} shard(s) failed twice ({', '.join(left[:5])}"
                                     f"{', ...' if len(left) > 5 else ''}): {_cause(err)}; the finished shards are "
                                     "kept, rerun to retry") from None
    new = [name for name in manifest.shards if name not in earlier]
    return RaySummary(out, seen[0], len(new), len(earlier), sum(manifest.shards[n]["sentences"] for n in new),
                      version, workers)


def _windows(input_path: Path, encoding: str | None, shard_size: int, done: set[str], window: int,
             seen: list[int]) -> Iterator[dict[int, list[str]]]:
    """The articles of the shards still to do, ``window`` shards at a time (the driver holds no more
    than that: a shard's articles follow each other in the input, so a window is complete as soon as
    the next shard begins). ``seen[0]``: the shards of the input read so far."""
    pending: dict[int, list[str]] = {}
    for index, unit in enumerate(input_units(input_path, encoding)):
        shard = index // shard_size
        seen[0] = shard + 1
        if shard_name(shard) in done:
            continue
        if shard not in pending and len(pending) >= window:
            yield pending
            pending = {}
        pending.setdefault(shard, []).append(json.dumps(unit, ensure_ascii=False))
    if pending:
        yield pending


def _run(pending: dict[int, list[str]], spec: PredictorSpec, out: Path, manifest: Manifest, workers: int,
         cpus_per_worker: float, gpus_per_worker: float, progress) -> None:
    """One pass of Ray Data over the pending shards' articles; each shard renamed and recorded as
    soon as its last article is back."""
    import ray

    items = [{"shard": shard, "unit": unit} for shard, units in sorted(pending.items()) for unit in units]
    dataset = ray.data.from_items(items, override_num_blocks=max(1, min(len(items), 4 * workers * 4)))
    predicted = dataset.map_batches(
        PredictBatch, fn_constructor_kwargs={"spec": spec}, batch_size=ARTICLES_PER_BATCH,
        compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=cpus_per_worker, num_gpus=gpus_per_worker,
        batch_format="default")
    left = {shard: len(units) for shard, units in pending.items()}
    counts = dict.fromkeys(pending, 0)
    handles: dict[int, object] = {}
    try:
        for row in predicted.iter_rows():
            shard = int(row["shard"])
            partial = out / (shard_name(shard) + ".partial")
            if shard not in handles:
                handles[shard] = partial.open("w", encoding="utf-8")
            handles[shard].write(row["lines"])
            counts[shard] += int(row["sentences"])
            left[shard] -= 1
            if progress is not None:
                progress(int(row["sentences"]))
            if left[shard] == 0:
                handle = handles.pop(shard)
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()
                final = out / shard_name(shard)
                partial.replace(final)
                manifest.shards[final.name] = {"articles": len(pending[shard]), "sentences": counts[shard],
                                               "sha256": _sha256(final)}
                manifest.write(out)
    finally:
        for handle in handles.values():
            handle.close()


def _check_shards(out: Path, manifest: Manifest) -> None:
    """Every shard the manifest lists is there, as written; one that is not is computed again."""
    for name, info in list(manifest.shards.items()):
        path = out / name
        if not path.is_file() or _sha256(path) != info.get("sha256"):
            del manifest.shards[name]
            path.unlink(missing_ok=True)
    manifest.write(out)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cause(err: BaseException) -> str:
    """The first line of what went wrong in a worker, without Ray's wrapping."""
    cause = getattr(err, "cause", None) or err.__cause__ or err
    text = str(cause).strip().splitlines()
    return text[-1] if text else type(cause).__name__


def read_shards(out: Path) -> dict[str, dict]:
    """sentence id -> prediction, from every shard the manifest lists (for the push)."""
    from train.preannotate import read_predictions

    manifest = Manifest.read(Path(out))
    if manifest is None:
        raise InputError(f"{out}: no {MANIFEST}; not the output of `propa preannotate --engine ray`")
    predictions: dict[str, dict] = {}
    for name in sorted(manifest.shards):
        predictions.update(read_predictions(Path(out) / name))
    return predictions
