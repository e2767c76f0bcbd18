"""Batch work on Ray Data (``--engine ray``): `propa preannotate`, `propa predict` and `propa sources
profile` computed by a pool of actors on this machine's cores or on a Ray cluster the user already
runs, written as shards under an output folder with a manifest.

The data flow, one way:

- the driver reads INPUT once to locate its articles (:func:`annotate.text.parts.locate`: bytes of
  a JSONL file, rows of a Parquet file, a text file...), checking it as the local readers do, and
  numbers them: article ``i`` belongs to shard ``i // shard_size``. Whole articles, never a part of
  one: the attribution rules carry an article's last named source from a sentence to the next;
- the shards not yet written are cut into pieces of a few articles, and the pieces (where they lie,
  not their text) go to Ray Data (``from_items``), one dataset for the whole run, whose
  ``map_batches`` hands them to one pool of actors (``ActorPoolStrategy``). Each actor builds its
  work once (:class:`PredictorSpec`, :class:`LabelSpec` or :class:`ProfileSpec`: the same model,
  rules and options as the local engine), then for each piece reads its articles from the input
  itself (:func:`annotate.text.parts.read_part`), splits them into sentences and returns the
  records. With ``source_workers``, the sources of `propa preannotate` are found by a second pool
  of their own (CPU actors beside model actors on GPUs);
- the driver streams the pieces back; a shard whose pieces are all back is written whole, in input
  order (``shard-NNNNN.jsonl``, atomically) and recorded in ``manifest.json`` with its articles,
  sentences and the file's sha256.

A rerun reads the manifest, keeps the shards it lists (their files checked) and computes the rest:
no sentence is lost or written twice. A piece that fails in an actor comes back with its error while
the other shards go on; the shards left unfinished are retried once, and if they fail again the
command stops with one line naming them and what went wrong (a lost actor is Ray's to restart).
The manifest also holds the work's version (the ``model_version``), the input, a fingerprint of its
files (sizes and times) and the shard size: a rerun with another model, input or shard size is
refused rather than mixed.

Without an address Ray starts on this machine; with ``--address`` (``auto``, ``HOST:PORT``,
``ray://HOST:PORT``) the job goes to that cluster. Its workers read INPUT at the same path (a
shared file system), and the model folder too, unless ``ship`` sends the files the work names
(model, tagger, registry, cues, taxonomy) through Ray's object store: each node unpacks them once,
into a cache keyed by their content.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from annotate.errors import InputError, PropaError
from annotate.files import file_sha256

MANIFEST = "manifest.json"
FORMAT = 2
DEFAULT_SHARD_SIZE = 500  # articles a shard: what a rerun skips or redoes
ARTICLES_PER_PIECE = 8  # articles an actor reads and predicts at once (its model batches their sentences)
ATTEMPTS = 2  # a failed pass is retried once, on the shards still unfinished


# -- the work an actor does ---------------------------------------------------------------------

@dataclass(frozen=True)
class PredictorSpec:
    """`propa preannotate`'s work: what an actor needs to build the predictor the local engine
    would, as paths and choices (which travel to the workers), not loaded objects. ``version``:
    the model_version the predictions are written under, when it is not the predictor's own (the
    model actors of a run whose sources are found by actors of their own)."""

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
    batch_size: int | None = None
    version: str = ""

    PATHS = ("taxonomy_path", "model_dir", "cues_path", "registry_path", "kinds_from", "source_tagger")
    NAME = "propa preannotate"

    def build(self):
        """The :class:`train.predictor.Predictor` these settings name."""
        from annotate.cues import load_cues
        from annotate.taxonomy import load_taxonomy
        from train.predictor import Predictor

        taxonomy = load_taxonomy(self.taxonomy_path)
        model = None
        if self.model_dir is not None:
            from train.models.model import load_model

            model = load_model(Path(self.model_dir), threads=self.threads, runtime=self.runtime)
        cues = None if self.no_cues or model is None else load_cues(taxonomy, self.cues_path and Path(self.cues_path))
        predictor = Predictor(taxonomy, model, cues, self._attributor(taxonomy) if self.sources else None)
        if self.version:
            predictor.version = self.version
        return predictor

    def _attributor(self, taxonomy):
        from annotate.sources.registry import load_registry
        from train.predictor import build_attributor

        registry = load_registry(self.registry_path and Path(self.registry_path), taxonomy)
        return build_attributor(registry, self.kinds_choice, [Path(p) for p in self.kinds_from],
                                self.source_tagger and Path(self.source_tagger), self.threads)

    def describe(self) -> str:
        return self.build().version

    def open(self) -> Callable[[list], list[dict]]:
        predictor = self.build()

        def run(sentences: list) -> list[dict]:
            predictor.forget()  # another piece: no pronoun refers back to what came before
            return predictor.predict(sentences, batch_size=self.batch_size)

        return run

    def techniques(self, version: str) -> "PredictorSpec":
        """The model actors' part when the sources have actors of their own."""
        return replace(self, sources=False, version=version)

    def sources_part(self) -> "SourcesSpec":
        return SourcesSpec(self.taxonomy_path, self.registry_path, self.kinds_choice, self.kinds_from,
                           self.source_tagger, self.threads)


@dataclass(frozen=True)
class SourcesSpec:
    """The sources of `propa preannotate`, added by actors of their own to the predictions of the
    model actors (source results appended to each prediction's ``result``)."""

    taxonomy_path: str | None = None
    registry_path: str | None = None
    kinds_choice: str = "learned"
    kinds_from: tuple[str, ...] = ()
    source_tagger: str | None = None
    threads: int = 1

    PATHS = ("taxonomy_path", "registry_path", "kinds_from", "source_tagger")

    def open(self) -> Callable[[list, list[dict]], list[dict]]:
        from annotate.studio.predictions import source_results
        from annotate.taxonomy import load_taxonomy

        taxonomy = load_taxonomy(self.taxonomy_path)
        spec = PredictorSpec(self.taxonomy_path, registry_path=self.registry_path, kinds_choice=self.kinds_choice,
                             kinds_from=self.kinds_from, source_tagger=self.source_tagger, threads=self.threads)
        attributor = spec._attributor(taxonomy)

        def run(sentences: list, predictions: list[dict]) -> list[dict]:
            _forget(attributor)
            found = attributor([(s.article_id, s.text, s.outlet) for s in sentences])
            for prediction, attributions in zip(predictions, found):
                prediction["result"] += source_results(attributions, taxonomy, attributor.registry)
            return predictions

        return run


def _forget(attributor) -> None:
    """Another piece: no pronoun refers back to what came before."""
    if hasattr(attributor, "article"):
        attributor.article = None


@dataclass(frozen=True)
class LabelSpec:
    """`propa predict`'s work: a model's labels and scores for each sentence."""

    model_dir: str
    threads: int = 1
    runtime: str = "torch"
    batch_size: int | None = None

    PATHS = ("model_dir",)
    NAME = "propa predict"

    def _model(self):
        from train.models.model import load_model

        return load_model(Path(self.model_dir), threads=self.threads, runtime=self.runtime)

    def describe(self) -> str:
        return self._model().model_version

    def open(self) -> Callable[[list], list[dict]]:
        from train.models.evaluate import TextRecord, labelled

        model = self._model()
        return lambda sentences: labelled(model, [TextRecord(s.id, s.article_id, s.text) for s in sentences],
                                          self.batch_size)


@dataclass(frozen=True)
class ProfileSpec:
    """`propa sources profile`'s work: the sourcing profile of each article."""

    taxonomy_path: str | None = None
    registry_path: str | None = None
    kinds_choice: str = "learned"
    kinds_from: tuple[str, ...] = ()
    source_tagger: str | None = None
    ratings_dir: str | None = None  # the imported rating sets (`propa sources import-ratings`)
    threads: int = 1

    PATHS = ("taxonomy_path", "registry_path", "kinds_from", "source_tagger", "ratings_dir")
    NAME = "propa sources profile"

    def _parts(self):
        from annotate.sources.ratings import load_rating_set
        from annotate.taxonomy import load_taxonomy

        spec = PredictorSpec(self.taxonomy_path, registry_path=self.registry_path, kinds_choice=self.kinds_choice,
                             kinds_from=self.kinds_from, source_tagger=self.source_tagger, threads=self.threads)
        attributor = spec._attributor(load_taxonomy(self.taxonomy_path))
        ratings = sorted(Path(self.ratings_dir).glob("*.jsonl")) if self.ratings_dir else []
        return attributor, [load_rating_set(path) for path in ratings]

    def describe(self) -> str:
        from train.predictor import sources_version

        attributor, _ = self._parts()
        return "profile+" + sources_version(attributor.registry, attributor.kinds, getattr(attributor, "tagger", None))

    def open(self) -> Callable[[list], list[dict]]:
        from annotate.sources.profile import profile_corpus

        attributor, ratings = self._parts()

        def run(sentences: list) -> list[dict]:
            _forget(attributor)
            return [p.to_dict() for p in profile_corpus(sentences, attributor.registry, attributor, ratings)]

        return run


# -- the manifest --------------------------------------------------------------------------------

@dataclass
class Manifest:
    model_version: str
    input: str
    shard_size: int
    input_fingerprint: str = ""
    shards: dict[str, dict] = field(default_factory=dict)  # file name -> articles, sentences, sha256
    format: int = FORMAT

    @classmethod
    def read(cls, folder: Path) -> "Manifest | None":
        path = folder / MANIFEST
        if not path.exists():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(raw["model_version"]), str(raw["input"]), int(raw["shard_size"]),
                       str(raw.get("input_fingerprint", "")), dict(raw["shards"]), int(raw["format"]))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
            raise InputError(f"{path}: not a manifest written by an --engine ray run ({err})") from None

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
    sentences: int  # sentences read by this run
    records: int  # lines written by this run
    model_version: str
    workers: int


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.jsonl"


def input_fingerprint(input_path: Path) -> str:
    """The files of INPUT with their sizes and modification times, hashed: a file changed since
    the shards were written would shift where its articles lie."""
    from annotate.text.articles import find_article_files
    from annotate.text.corpus import input_paths

    digest = hashlib.sha256()
    for one in input_paths(Path(input_path)):
        for file in find_article_files([one]) if one.is_dir() else [one]:
            stat = file.stat()
            digest.update(f"{file.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


# -- the plan: shards and their pieces -----------------------------------------------------------

@dataclass
class Plan:
    shards: int = 0  # in the input
    pieces: list[dict] = field(default_factory=list)  # of the shards to compute: shard, piece, parts
    per_shard: dict[int, int] = field(default_factory=dict)  # shard -> its pieces
    articles: dict[int, int] = field(default_factory=dict)  # shard -> its articles
    sentences: int | None = 0  # in the pieces, when the input says (a corpus); None for articles


def plan(input_path: Path, encoding: str | None, shard_size: int, done: set[str],
         piece_size: int = ARTICLES_PER_PIECE) -> Plan:
    """Locate the articles of INPUT and cut the shards still to compute into pieces of
    ``piece_size`` articles (a piece's parts: contiguous articles of a file joined)."""
    from annotate.text.parts import locate

    result = Plan()
    piece: list = []  # its parts

    def close(shard: int) -> None:
        if piece:
            result.pieces.append({"shard": shard, "piece": result.per_shard.get(shard, 0),
                                  "parts": json.dumps([asdict(p) for p in piece])})
            result.per_shard[shard] = result.per_shard.get(shard, 0) + 1
            piece.clear()

    shard = -1
    for index, (part, sentences) in enumerate(locate(input_path, encoding)):
        if index // shard_size != shard:
            close(shard)
            shard = index // shard_size
            result.shards = shard + 1
        if shard_name(shard) in done:
            continue
        result.articles[shard] = result.articles.get(shard, 0) + 1
        if result.sentences is not None:
            result.sentences = result.sentences + sentences if sentences else None
        joined = piece[-1].joined(part) if piece else None
        if joined is not None:
            piece[-1] = joined
        else:
            piece.append(part)
        if sum(p.articles for p in piece) >= piece_size:
            close(shard)
    close(shard)
    return result


# -- shipping the files a work names -------------------------------------------------------------

def ship(work) -> dict[str, object]:
    """Each file or folder the work names, packed (tar) into Ray's object store: path -> ref."""
    import ray

    shipped = {}
    for path in _paths(work):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            tar.add(path, arcname=Path(path).name)
        shipped[path] = ray.put(buffer.getvalue())
    return shipped


def landed(work, shipped: dict[str, object], cache: Path | None = None):
    """The work with the paths it names replaced by their copies unpacked on this node (once a
    node: a folder keyed by the content, made whole before it is renamed into place)."""
    import ray

    if not shipped:
        return work
    cache = cache or Path(os.environ.get("PROPA_SHIP_CACHE", Path.home() / ".cache" / "propa" / "shipped"))
    local: dict[str, str] = {}
    for path, ref in shipped.items():
        packed = ray.get(ref)
        folder = cache / hashlib.sha256(packed).hexdigest()[:20]
        if not folder.is_dir():
            folder.parent.mkdir(parents=True, exist_ok=True)
            staging = folder.with_name(f".{folder.name}.{os.getpid()}")
            with tarfile.open(fileobj=io.BytesIO(packed)) as tar:
                tar.extractall(staging, filter="data")
            try:
                staging.rename(folder)
            except OSError:  # another actor of this node unpacked it first
                import shutil

                shutil.rmtree(staging, ignore_errors=True)
        local[path] = str(folder / Path(path).name)
    changes = {}
    for name in work.PATHS:
        value = getattr(work, name)
        if isinstance(value, tuple):
            changes[name] = tuple(local.get(v, v) for v in value)
        elif value is not None:
            changes[name] = local.get(value, value)
    return replace(work, **changes)


def _paths(work) -> list[str]:
    found = []
    for name in work.PATHS:
        value = getattr(work, name)
        for one in value if isinstance(value, tuple) else [value]:
            if one is not None and Path(one).exists():
                found.append(one)
    return found


# -- the actors ----------------------------------------------------------------------------------

class RunPieces:
    """The actor of the main pool: builds its work once, then reads and computes pieces. With
    ``keep_sentences`` it hands the sentences on with the records (for the sources actors). A piece
    that fails comes back with its ``error`` (the first line of what went wrong), the others go on."""

    def __init__(self, work, shipped: dict | None = None, encoding: str | None = None, keep_sentences: bool = False):
        self.run = landed(work, shipped or {}).open()
        self.encoding = encoding
        self.keep = keep_sentences

    def __call__(self, batch: dict) -> dict:
        from annotate.text.parts import Part, read_part

        out: dict[str, list] = {name: [] for name in ("shard", "piece", "lines", "sentences", "records", "carry",
                                                      "error")}
        for shard, piece, parts in zip(batch["shard"], batch["piece"], batch["parts"]):
            lines = carry = error = ""
            sentences: list = []
            records: list = []
            try:
                sentences = [sentence for part in json.loads(parts)
                             for article in read_part(Part(**part), self.encoding) for sentence in article]
                records = self.run(sentences) if sentences else []
                if self.keep:
                    carry = json.dumps([[s.to_dict() for s in sentences], records], ensure_ascii=False)
                else:
                    lines = _lines(records)
            except Exception as err:  # noqa: BLE001 (reported by the driver, with the shard's name)
                error = _first_line(err)
            for name, value in (("shard", int(shard)), ("piece", int(piece)), ("lines", lines), ("carry", carry),
                                ("sentences", len(sentences)), ("records", len(records)), ("error", error)):
                out[name].append(value)
        return out


class AddSources:
    """The actor of the sources pool: appends the sources of each sentence to its prediction (a
    piece that failed before, or fails here, comes back with its ``error``)."""

    def __init__(self, work: SourcesSpec, shipped: dict | None = None):
        self.run = landed(work, shipped or {}).open()

    def __call__(self, batch: dict) -> dict:
        from annotate.text.corpus import Sentence

        lines, errors = [], []
        for carry, error in zip(batch["carry"], batch["error"]):
            done = ""
            if not error:
                try:
                    sentences, records = json.loads(carry)
                    done = _lines(self.run([Sentence(**s) for s in sentences], records) if sentences else [])
                except Exception as err:  # noqa: BLE001 (reported by the driver, with the shard's name)
                    error = _first_line(err)
            lines.append(done)
            errors.append(error)
        return {name: list(batch[name]) for name in ("shard", "piece", "sentences", "records")} | \
            {"lines": lines, "error": errors}


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _lines(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


# -- running -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RayOptions:
    workers: int = 2
    cpus_per_worker: float = 1
    gpus_per_worker: float = 0
    address: str | None = None
    shard_size: int = DEFAULT_SHARD_SIZE
    source_workers: int = 0  # a pool of its own for the sources of `propa preannotate` (0: none)
    ship: bool = False  # the files the work names go through the object store


def connect(address: str | None, cpus: float) -> None:
    """Join the cluster at ``address``, or start Ray on this machine with ``cpus`` (or use the one
    already started in this process, as tests do)."""
    import logging

    import ray
    import ray.data  # sets up its loggers on import: quieted after

    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its per-operator progress lines: ours is enough
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    if ray.is_initialized():
        return
    if address:
        try:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise PropaError(f"cannot reach the Ray cluster at {address} ({err})") from None
        return
    ray.init(num_cpus=max(1, round(cpus)), include_dashboard=False, logging_level="ERROR", log_to_driver=False)


def run_on_ray(input_path: Path, work, out: Path, options: RayOptions = RayOptions(), encoding: str | None = None,
               progress: Callable[[int], None] | None = None,
               total: Callable[[int | None], None] | None = None) -> RaySummary:
    """Compute ``work`` on every article of INPUT into the folder ``out`` (see the module).
    ``progress(n)``: n more sentences done; ``total(n)``: the sentences to do, once known (None
    when INPUT is articles, split by the workers)."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise PropaError("the Ray engine needs Ray: pip install 'propa[ray]'") from None
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: with --engine ray, the output is a folder of shards (this is a file)")
    version = work.describe()  # the version every shard is written under; loads the model once here
    wanted = Manifest(version, str(Path(input_path).absolute()), options.shard_size, input_fingerprint(input_path))
    manifest = Manifest.read(out) if out.is_dir() else None
    if manifest is not None and manifest.format != FORMAT:
        raise InputError(f"{out / MANIFEST}: written by another version of propa (format {manifest.format}, not "
                         f"{FORMAT}); write to another folder")
    if manifest is not None:
        for name in ("model_version", "input", "input_fingerprint", "shard_size"):
            if getattr(manifest, name) != getattr(wanted, name):
                what = "the input files changed since" if name == "input_fingerprint" else \
                    f"written with {name} {getattr(manifest, name)}, not {getattr(wanted, name)}"
                raise InputError(f"{out / MANIFEST}: {what}; write to another folder")
        _check_shards(out, manifest)
    earlier = set(manifest.shards) if manifest is not None else set()
    todo = plan(input_path, encoding, options.shard_size, earlier)  # INPUT checked before anything is written
    if manifest is None:
        manifest = wanted
        out.mkdir(parents=True, exist_ok=True)
        manifest.write(out)
    if total is not None:
        total(todo.sentences)
    if todo.pieces:
        connect(options.address, (options.workers * options.cpus_per_worker) + options.source_workers)
        shipped = ship(work) if options.ship else {}
        pieces = todo.pieces
        for attempt in range(1, ATTEMPTS + 1):
            try:
                failed = _run(pieces, todo, work, version, shipped, out, manifest, options, encoding, progress)
            except Exception as err:  # Ray's own failure (an actor that cannot start...): every shard left
                failed = {p["shard"]: _cause(err) for p in pieces}
            pieces = [p for p in pieces if shard_name(p["shard"]) not in manifest.shards]
            if not pieces:
                break
            if attempt == ATTEMPTS:
                left = sorted({p["shard"] for p in pieces})
                named = ", ".join(shard_name(s) for s in left[:5]) + (", ..." if len(left) > 5 else "")
                cause = next((failed[s] for s in left if s in failed), "not finished")
                raise PropaError(f"{out}: {len(left)} shard(s) failed twice ({named}): {cause}; the finished shards "
                                 "are kept, rerun to retry") from None
    new = [name for name in manifest.shards if name not in earlier]
    return RaySummary(out, todo.shards, len(new), len(earlier), sum(manifest.shards[n]["sentences"] for n in new),
                      sum(manifest.shards[n].get("records", 0) for n in new), version, options.workers)


def _run(pieces: list[dict], todo: Plan, work, version: str, shipped: dict, out: Path, manifest: Manifest,
         options: RayOptions, encoding: str | None, progress) -> dict[int, str]:
    """One pass of Ray Data over the pieces; a shard written and recorded as soon as its last piece
    is back. Returns the shards a piece of which failed, with what went wrong."""
    import ray

    from annotate.files import atomic_write

    split_sources = options.source_workers > 0 and isinstance(work, PredictorSpec) and work.sources
    main = work.techniques(version) if split_sources else work
    blocks = max(1, min(len(pieces), max(len({p["shard"] for p in pieces}), 4 * options.workers)))
    dataset = ray.data.from_items(pieces, override_num_blocks=blocks)  # contiguous pieces: a shard's stay together
    done = dataset.map_batches(
        RunPieces, fn_constructor_kwargs={"work": main, "shipped": shipped, "encoding": encoding,
                                          "keep_sentences": split_sources},
        batch_size=1, compute=ray.data.ActorPoolStrategy(size=options.workers), num_cpus=options.cpus_per_worker,
        num_gpus=options.gpus_per_worker, batch_format="default")
    if split_sources:
        done = done.map_batches(AddSources, fn_constructor_kwargs={"work": work.sources_part(), "shipped": shipped},
                                batch_size=1, compute=ray.data.ActorPoolStrategy(size=options.source_workers),
                                num_cpus=1, batch_format="default")
    back: dict[int, dict[int, tuple[str, int, int]]] = {}  # shard -> piece -> lines, sentences, records
    failed: dict[int, str] = {}
    for row in done.iter_rows():
        shard, piece = int(row["shard"]), int(row["piece"])
        if row["error"]:
            failed.setdefault(shard, row["error"])
            continue
        if shard_name(shard) in manifest.shards or piece in back.get(shard, {}):
            continue  # a piece Ray computed again after a lost worker: already here
        back.setdefault(shard, {})[piece] = (row["lines"], int(row["sentences"]), int(row["records"]))
        if progress is not None:
            progress(int(row["sentences"]))
        if len(back[shard]) == todo.per_shard[shard]:
            got = back.pop(shard)
            final = out / shard_name(shard)
            with atomic_write(final) as handle:
                for index in sorted(got):
                    handle.write(got[index][0])
            manifest.shards[final.name] = {"articles": todo.articles[shard],
                                           "sentences": sum(g[1] for g in got.values()),
                                           "records": sum(g[2] for g in got.values()), "sha256": file_sha256(final)}
            manifest.write(out)
    return failed


def _check_shards(out: Path, manifest: Manifest) -> None:
    """Every shard the manifest lists is there, as written; one that is not is computed again."""
    for name, info in list(manifest.shards.items()):
        path = out / name
        if not path.is_file() or file_sha256(path) != info.get("sha256"):
            del manifest.shards[name]
            path.unlink(missing_ok=True)
    manifest.write(out)


def _cause(err: BaseException) -> str:
    """The first line of what went wrong in a worker, without Ray's wrapping."""
    cause = getattr(err, "cause", None) or err.__cause__ or err
    text = str(cause).strip().splitlines()
    return text[-1] if text else type(cause).__name__


def shard_records(out: Path) -> Iterator[dict]:
    """The records of every shard the manifest lists, in input order."""
    manifest = Manifest.read(Path(out))
    if manifest is None:
        raise InputError(f"{out}: no {MANIFEST}; not the output of an --engine ray run")
    for name in sorted(manifest.shards):
        with (Path(out) / name).open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


def read_shards(out: Path) -> dict[str, dict]:
    """sentence id -> prediction, from every shard the manifest lists (for the push)."""
    return {record["sentence_id"]: record for record in shard_records(out)}

