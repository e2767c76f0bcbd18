"""`propa sources`: who each article cites, registry suggestions from annotators, and external
outlet ratings imported under the registry."""

from __future__ import annotations

import json
from pathlib import Path

import click

from annotate.cli.base import PropaGroup
from annotate.errors import InputError
from annotate.cli.options import (
    absolute,
    kinds_option,
    make_attributor,
    ray_options,
    ray_settings,
    run_ray,
    registry_option,
    taxonomy_option,
    threads_option,
)
from annotate.cli.options import load_taxonomy_option as _taxonomy


@click.group("sources", cls=PropaGroup)
def sources_cli() -> None:
    """Who articles cite, and how far those sources can be trusted."""


@sources_cli.command("profile")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path),
              help="Also write one JSON line per article here; with --engine ray, the folder of shards that "
                   "holds them (required).")
@registry_option
@kinds_option
@click.option("--reparse", is_flag=True,
              help="Find the attributions again even when INPUT stores them (`propa ingest --sources`).")
@click.option("--encoding", help="Decode article files with this encoding instead of UTF-8.")
@ray_options
@taxonomy_option
def sources_profile_cli(input_path: Path, out: Path | None, registry_path: Path | None, kinds_choice: str,
                        kinds_from: tuple[Path, ...], source_tagger: Path | None, reparse: bool, encoding: str | None,
                        taxonomy_path: str | None, **ray) -> None:
    """Sourcing profile of each article of INPUT (articles or a sentence corpus).

    Per article, on its sources (the mentions of one speaker grouped: "le ministère de
    l'Intérieur", "le ministère", "il"): attributions, the share anonymous or vague and
    state-affiliated, distinct sources and voices (the effective number of sources: 1 when
    one source says everything), the top source's share, sentences that attribute nothing,
    the outlet's rating with its provenance (the registry, else `propa sources
    import-ratings`), and a score from 0 to 100 (solid 70+, mixed 45+, weak) with the
    reasons it lost points. A corpus written by `propa ingest --sources` is profiled from the
    attributions it stores, without parsing again (--reparse to redo).

    With --engine ray, a pool of actors on Ray Data profiles the articles into shards with a
    manifest.json under --out (resumable shard by shard), and the totals are printed instead of
    each article.
    """
    engine, options = ray_settings(ray)
    if engine == "local" and out is not None and out.is_dir():
        raise InputError(f"{out}: a folder; the local engine writes one JSONL file (--engine ray writes shards)")
    if engine == "ray":
        return _profile_ray(input_path, out, registry_path, kinds_choice, kinds_from, source_tagger, reparse,
                            encoding, taxonomy_path, options)

    from tqdm.auto import tqdm

    from annotate.text.corpus import has_stored_attributions, read_sentences
    from annotate.files import atomic_write
    from annotate.sources.profile import profile_corpus
    from annotate.sources.registry import load_registry

    from annotate.sources.attribution import StoredAttributions

    registry = load_registry(registry_path, _taxonomy(taxonomy_path))
    if not reparse and has_stored_attributions(Path(input_path)):
        attributor = StoredAttributions(input_path, registry)
        click.echo(f"using the attributions stored in {input_path} (--reparse to find them again)", err=True)
    else:
        attributor = make_attributor(registry, kinds_choice, kinds_from, source_tagger)
    from annotate.sources.ratings import load_ratings

    profiles = []
    with tqdm(unit=" article", desc="profiling") as bar:
        for profile in profile_corpus(read_sentences(input_path, encoding), registry, attributor, load_ratings()):
            profiles.append(profile)
            bar.update(1)
    click.echo(f"{'article':28} {'sent.':>5} {'attr.':>5} {'anon.':>5} {'state':>5} {'src.':>4} {'voices':>6} "
               f"{'top':>5} {'unattr.':>7} {'score':>5}")
    for p in profiles:
        click.echo(f"{p.article_id[:28]:28} {p.sentences:5} {p.attributions:5} {p.anonymous:5} {p.state_media:5} "
                   f"{p.sources:4} {p.voices:6.1f} {p.top_share:5.0%} {p.unattributed:7} {p.score:5} {p.band}")
        click.echo(f"    {'; '.join(p.reasons)}")
        if p.outlet_rating is not None:
            click.echo(f"    outlet {p.outlet or p.outlet_rating['domain']}: {p.outlet_rating['describe']}")
    if out is not None:
        with atomic_write(out) as handle:
            for p in profiles:
                handle.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
        click.echo(f"{len(profiles)} profiles -> {out}")


@sources_cli.command("train-tagger")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The tagger folder to write (replaced once the new one is complete).")
@click.option("--gold", "gold_paths", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Gold files whose source mentions it learns (default: the development gold set, "
                   "corpus/gold/gold_fr.jsonl; never the held-out one). Repeatable.")
@click.option("--from", "pulled", multiple=True, type=click.Path(path_type=Path),
              help="Also learn annotators' source spans: a `propa pull` folder or its annotations.jsonl. Repeatable.")
@click.option("--encoder", default="intfloat/multilingual-e5-small", show_default=True,
              help="Pretrained encoder: a hub name, a local folder, or 'scratch' (a small model trained from "
                   "nothing, for tests). e5-small works offline once `propa encoder convert` has built it.")
@click.option("--epochs", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--batch-size", default=16, show_default=True, type=click.IntRange(1, 512))
@click.option("--learning-rate", default=6e-5, show_default=True, type=click.FloatRange(0, min_open=True))
@click.option("--seed", default=13, show_default=True, type=int)
@threads_option
@taxonomy_option
def sources_train_tagger_cli(out: Path, gold_paths: tuple[Path, ...], pulled: tuple[Path, ...], encoder: str,
                             epochs: int, batch_size: int, learning_rate: float, seed: int, threads: int,
                             taxonomy_path: str | None) -> None:
    """Train a source-span tagger, the learned complement of the attribution rules.

    Token classification (B/I/O over the words of a sentence) on a pretrained encoder, learnt
    from the source mentions of the gold set's sentences (those without a source too) and from
    every annotator's source spans in the pulled folders (--from). Use it with --source-tagger
    (`propa preannotate`, `propa serve`, `propa ingest --sources`, `propa sources profile`): the
    rules go first, and the tagger adds the spans they miss, each with its origin "tagger".
    About 5 minutes on 2 CPU cores for the gold set with e5-small;
    `python bench/sources.py --gold corpus/gold/heldout/gold_fr.jsonl --tagger DIR` measures it.
    """
    from annotate.sources.kinds import GOLD
    from train.models.span_tagger import SpanTagger, TaggerSettings, gold_span_examples, pulled_span_examples

    examples = [e for path in (gold_paths or (GOLD,)) for e in gold_span_examples(path)]
    if pulled:
        label = _taxonomy(taxonomy_path).sources.label.id
        examples += [e for path in pulled for e in pulled_span_examples(path, label)]
    settings = TaggerSettings(encoder=encoder, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                              seed=seed, threads=threads)
    click.echo(f"{len(examples)} sentences, {sum(len(e.spans) for e in examples)} source spans; encoder {encoder}",
               err=True)
    tagger = SpanTagger.train(examples, settings)
    folder = tagger.save(out)
    click.echo(f"source-span tagger -> {folder} (loss per epoch {tagger.meta['loss_per_epoch']}, "
               f"{tagger.meta['train_seconds']} s; fingerprint {tagger.meta['fingerprint']})")


@sources_cli.command("suggest")
@click.argument("pulled", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the suggested entries (YAML) here instead of printing them.")
@click.option("--min-annotations", default=1, show_default=True, type=click.IntRange(1),
              help="Leave out sources annotated fewer times.")
@registry_option
@taxonomy_option
def sources_suggest_cli(pulled: Path, out: Path | None, min_annotations: int, registry_path: Path | None,
                        taxonomy_path: str | None) -> None:
    """Registry suggestions from annotators' corrections (PULLED: what `propa pull` wrote).

    Named sources that annotators marked but the registry lacks, or rates with another
    kind or reliability, as YAML entries to review before adding them to the registry.
    """
    from annotate.studio.pulled import read_pulled_rows
    from annotate.files import atomic_write
    from annotate.sources.registry import load_registry, suggest, suggestions_yaml

    registry = load_registry(registry_path, _taxonomy(taxonomy_path))
    found = suggest(read_pulled_rows(pulled), registry, min_annotations)
    text = suggestions_yaml(found)
    new = sum(1 for s in found if s.entry is None)
    if out is None:
        click.echo(text, nl=False)
    else:
        with atomic_write(out) as handle:
            handle.write(text)
    click.echo(f"{len(found)} suggestions: {new} sources not in {registry.path}, {len(found) - new} rated "
               f"otherwise" + (f" -> {out}" if out else ""), err=out is None)


def _checked(check_name: str):
    """A click callback running one of annotate.sources.ratings' checks: a bad value is a usage error."""

    def callback(ctx: click.Context, param: click.Parameter, value):
        from annotate.sources import ratings

        if value is None:
            return value
        try:
            return getattr(ratings, check_name)(value)
        except ValueError as err:
            raise click.BadParameter(str(err)) from None

    return callback


@sources_cli.command("import-ratings")
@click.argument("csv_path", metavar="FILE", type=click.Path(path_type=Path))
@click.option("--name", required=True, callback=_checked("check_set_name"),
              help="The set's name, shown with each of its ratings (e.g. lin2023); importing a name again "
                   "replaces that set.")
@click.option("--scale", required=True, callback=_checked("parse_scale"),
              help="The lowest and highest score the set uses, LOW-HIGH (e.g. 0-1, 0-100); higher is more reliable.")
@click.option("--date", default="", callback=_checked("check_date"),
              help="When the set was published or rated, YYYY-MM-DD.")
@click.option("--note", default="", help="What the set is, shown with each rating (e.g. '6 professional rating sets').")
@click.option("--domain-column", default="domain", show_default=True, help="The column of the rated domains.")
@click.option("--score-column", default="score", show_default=True, help="The column of the scores.")
@click.option("--encoding", help="Decode FILE with this encoding instead of UTF-8.")
def sources_import_ratings_cli(csv_path: Path, name: str, scale: tuple[float, float], date: str, note: str,
                               domain_column: str, score_column: str, encoding: str | None) -> None:
    """Import a published outlet rating set (FILE: a CSV of domain and score) under the registry.

    Each rating keeps its provenance (set name, date, score and scale as given, CSV line).
    The set is checked, then stored in the state folder (.propa/ or $PROPA_HOME) as
    ratings/NAME.jsonl, so FILE is not needed again. An article's outlet is matched by its
    URL's domain or a parent domain (www.lemonde.fr, m.lemonde.fr -> lemonde.fr); the
    registry (configs/sources.yaml) always wins over an imported rating.
    """
    from annotate.sources.ratings import import_ratings, ratings_dir, save_ratings, scale_text

    replaced = (ratings_dir() / f"{name}.jsonl").exists()
    rating_set = import_ratings(csv_path, name, scale, date, note, domain_column, score_column, encoding)
    path = save_ratings(rating_set)
    dated = f" ({date})" if date else ""
    click.echo(f"{len(rating_set)} ratings on {scale_text(scale)} from {csv_path.name} as {name}{dated} -> {path}"
               + (f" (replaced the {name} imported before)" if replaced else ""))


@sources_cli.command("ratings")
@click.argument("urls", metavar="[URL]...", nargs=-1)
@click.option("--outlet", default="", help="With URL: the article's outlet name, which the registry may know.")
@registry_option
@taxonomy_option
def sources_ratings_cli(urls: tuple[str, ...], outlet: str, registry_path: Path | None,
                        taxonomy_path: str | None) -> None:
    """The imported rating sets; with URLs, the rating of each URL's outlet and where it comes from.

    The registry (configs/sources.yaml) wins over the imported sets: an entry whose domains
    match the URL, or whose name is --outlet, gives its own reliability.
    """
    from annotate.sources.ratings import load_ratings, lookup, ratings_dir, scale_text

    sets = load_ratings()
    if not urls:
        if not sets:
            click.echo(f"no rating set in {ratings_dir()}; import one with `propa sources import-ratings`")
            return
        click.echo(f"{'name':16} {'date':10} {'ratings':>7} {'scale':8} {'source':24} {'imported':25} note")
        for s in sets:
            click.echo(f"{s.name[:16]:16} {s.date or '-':10} {len(s):7} {scale_text(s.scale):8} "
                       f"{s.source[:24]:24} {s.imported:25} {s.note}")
        return
    from annotate.sources.registry import load_registry

    registry = load_registry(registry_path, _taxonomy(taxonomy_path))
    for url in urls:
        rating = lookup(url, sets, registry, outlet)
        if rating is None:
            click.echo(f"{url}: not rated")
        else:
            click.echo(f"{url}: {rating.describe()} [{rating.domain or outlet}, {rating.origin}]")


def _profile_ray(input_path: Path, out: Path | None, registry_path: Path | None, kinds_choice: str,
                 kinds_from: tuple[Path, ...], source_tagger: Path | None, reparse: bool, encoding: str | None,
                 taxonomy_path: str | None, options) -> None:
    from collections import Counter

    from annotate.sources.ratings import ratings_dir
    from annotate.text.corpus import has_stored_attributions
    from train.ray_engine import ProfileSpec, shard_records

    if out is None:
        raise InputError("--engine ray writes the profiles as shards: give the folder with -o")
    if not reparse and has_stored_attributions(Path(input_path)):
        raise InputError(f"{input_path}: stores its attributions; --engine ray finds them again (give --reparse), "
                         "or profile the stored ones with the local engine")

    ratings = ratings_dir()
    spec = ProfileSpec(absolute(taxonomy_path), absolute(registry_path), kinds_choice,
                       tuple(absolute(p) for p in kinds_from), absolute(source_tagger),
                       absolute(ratings) if ratings.is_dir() else None, max(1, int(options.cpus_per_worker)))
    run_ray(input_path, spec, out, options, encoding, "profiling")
    bands: Counter = Counter()
    scores = []
    for profile in shard_records(out):
        bands[profile["band"]] += 1
        scores.append(profile["score"])
    if scores:
        click.echo(f"{len(scores)} articles profiled: mean score {sum(scores) / len(scores):.1f}; "
                   + ", ".join(f"{band} {count}" for band, count in sorted(bands.items())))


COMMANDS = (sources_cli,)
