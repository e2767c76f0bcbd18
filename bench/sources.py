"""Source-span detection and kind accuracy on the project's gold set.

    python bench/sources.py [--gold corpus/gold/gold_fr.jsonl] [--errors 20] [--tagger DIR]

For every gold sentence, `annotate.sources.attribution.extract_parsed` (article by article, so
pronouns resolve to the article's last named source) against the gold attributions that
have a mention in the sentence: precision, recall and F1 of the source spans, matched one
to one, by exact offsets and by overlap; and the accuracy of the kind over the spans
matched by overlap. Prints the time per sentence and, with --errors, examples of misses.
Each rule of `annotate.sources.attribution.rules.RULES` gets a line of its own: the source spans
it gave (what no earlier rule had taken) and their precision by overlap.
With --tagger (a folder of `propa sources train-tagger`), the spans are measured three times: the
rules alone, the tagger alone, and both combined (the tagger's spans added where no rule found a
source), the per-rule lines and kinds then being those of the combination. The tagger is trained on
the development set: measure it on the held-out set (--gold corpus/gold/heldout/gold_fr.jsonl).
Targets (issue 6): overlap F1 >= 0.85, kind accuracy >= 0.85; (issue 17) on the held-out set,
overlap F1 >= 0.88 and kind accuracy >= 0.85.

Kinds are measured twice: from the rules alone, and with the learned kind model
(`annotate.sources.kinds`, trained on the development gold set). On the development set itself the
model of each article is trained on the other articles only (5 folds by article), so that
no mention is classified by a model that saw it; on the held-out set, on all of it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotate.sources.attribution import LABELS, RULES, ArticleState, extract_parsed, french_pipeline  # noqa: E402
from annotate.sources.kinds import GOLD, KindModel, gold_examples  # noqa: E402
from annotate.quality.gold import read_gold_rows  # noqa: E402
from annotate.sources.registry import load_registry  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def match(predicted: list[tuple[int, int]], gold: list[tuple[int, int]], exact: bool) -> list[tuple[int, int]]:
    """One-to-one pairs (index in predicted, index in gold)."""
    used: set[int] = set()
    pairs = []
    for i, (start, end) in enumerate(predicted):
        for j, (gold_start, gold_end) in enumerate(gold):
            if j in used:
                continue
            if (start, end) == (gold_start, gold_end) if exact else (start < gold_end and gold_start < end):
                used.add(j)
                pairs.append((i, j))
                break
    return pairs


def prf(matched: int, predicted: int, gold: int) -> tuple[float, float, float]:
    p = matched / predicted if predicted else 0.0
    r = matched / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def extract_docs(article_rows: list[dict], docs: list, registry, kinds, tagged=None) -> list[list]:
    """The attributions of an article's parsed sentences, in reading order (``tagged``: a tagger's
    spans of each sentence, added where the rules found nothing)."""
    state = ArticleState()
    tagged = tagged or [()] * len(article_rows)
    return [extract_parsed(row["text"], doc, registry, state, kinds, spans)
            for row, doc, spans in zip(article_rows, docs, tagged)]


def tagger_alone(articles: dict[str, list[dict]], tagged: dict[str, list]) -> Counter:
    """The tagger's spans against the gold mentions, with no rule."""
    counts: Counter = Counter()
    for article_id, article_rows in articles.items():
        for row, spans in zip(article_rows, tagged[article_id]):
            gold = [(s["mention"]["start"], s["mention"]["end"]) for s in row["sources"] if s["mention"] is not None]
            counts["predicted"] += len(spans)
            counts["gold"] += len(gold)
            counts["exact"] += len(match(list(spans), gold, exact=True))
            counts["overlap"] += len(match(list(spans), gold, exact=False))
    return counts


def score(articles: dict[str, list[dict]], found_by_article: dict[str, list[list]]):
    """Counts, kind right/wrong, kind confusions, misses, spurious spans and wrong kinds; the
    counts have ("rule", name) and ("rule matched", name): the spans of each rule, and those matched."""
    rule_of = {label: rule.__name__ for rule, labels in LABELS.items() for label in labels} | {"tagger": "tagger"}
    counts, kinds, confusion = Counter(), Counter(), Counter()
    misses, spurious, wrong_kinds = [], [], []
    for article_id, article_rows in articles.items():
        for row, found in zip(article_rows, found_by_article[article_id]):
            gold = [s for s in row["sources"] if s["mention"] is not None]
            gold_spans = [(s["mention"]["start"], s["mention"]["end"]) for s in gold]
            continued = [s for s in row["sources"] if s["mention"] is None and s["cue"] is None]
            counts["continued_gold"] += len(continued)
            counts["continued_found"] += min(len(continued), sum(a.rule == "quote-continued" for a in found))
            counts["continued_predicted"] += sum(a.rule == "quote-continued" for a in found)
            predicted_with_mention = [a for a in found if a.mention is not None]
            spans = [(a.mention.start, a.mention.end) for a in predicted_with_mention]
            counts["predicted"] += len(spans)
            counts["gold"] += len(gold_spans)
            counts["exact"] += len(match(spans, gold_spans, exact=True))
            pairs = match(spans, gold_spans, exact=False)
            counts["overlap"] += len(pairs)
            for i, j in pairs:
                if gold[j].get("content"):
                    wanted, got = gold[j]["content"], predicted_with_mention[i].content
                    counts["content_gold"] += 1
                    counts["content_overlap"] += got is not None and got.start < wanted["end"] and \
                        wanted["start"] < got.end
                same = predicted_with_mention[i].kind == gold[j]["kind"]
                kinds["right" if same else "wrong"] += 1
                if not same:
                    confusion[(gold[j]["kind"], predicted_with_mention[i].kind)] += 1
                    wrong_kinds.append((predicted_with_mention[i].mention.text, gold[j]["kind"],
                                        predicted_with_mention[i].kind))
            hit_gold = {j for _, j in pairs}
            hit_pred = {i for i, _ in pairs}
            for i, attribution in enumerate(predicted_with_mention):
                counts["rule", rule_of[attribution.rule]] += 1
                counts["rule matched", rule_of[attribution.rule]] += i in hit_pred
            misses += [(row["text"], gold[j]["mention"]["text"]) for j in range(len(gold)) if j not in hit_gold]
            spurious += [(row["text"], predicted_with_mention[i].mention.text, predicted_with_mention[i].rule)
                         for i in range(len(spans)) if i not in hit_pred]
    return counts, kinds, confusion, misses, spurious, wrong_kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=ROOT / "corpus" / "gold" / "gold_fr.jsonl")
    parser.add_argument("--errors", type=int, default=0,
                        help="print this many missed spans, spurious spans and wrong kinds")
    parser.add_argument("--registry", type=Path, default=None, help="source registry (default configs/sources.yaml)")
    parser.add_argument("--no-registry", action="store_true", help="kinds from the words of the mention only")
    parser.add_argument("--kinds", choices=("learned", "rules"), default="learned",
                        help="kinds whose errors --errors prints (both accuracies are printed)")
    parser.add_argument("--tagger", type=Path, default=None,
                        help="a source-span tagger (`propa sources train-tagger`): figures for the rules alone, "
                             "the tagger alone and both combined")
    args = parser.parse_args()

    rows = read_gold_rows(args.gold)
    articles: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        articles[row["article_id"]].append(row)
    registry = None if args.no_registry else load_registry(args.registry)
    same_set = args.gold.resolve() == GOLD.resolve()
    if same_set:  # 5 folds by article: each article's kinds come from a model that never saw it
        ids = sorted(articles)
        folds = [set(ids[i::5]) for i in range(5)]
        models = [KindModel.train(gold_examples(GOLD, set(ids) - fold)) for fold in folds]
        model_of = {a: models[i] for i, fold in enumerate(folds) for a in fold}
    else:
        model = KindModel.train(gold_examples(GOLD))
        model_of = {a: model for a in articles}
    # Parse once; extract twice (kinds from the rules, then from the learned model).
    nlp = french_pipeline()
    started = time.perf_counter()
    docs = {a: list(nlp.pipe(r["text"].replace("’", "'") for r in article_rows))
            for a, article_rows in articles.items()}
    by_rules = {a: extract_docs(articles[a], docs[a], registry, None) for a in articles}
    seconds = time.perf_counter() - started
    by_model = {a: extract_docs(articles[a], docs[a], registry, model_of[a]) for a in articles}
    alone = None
    if args.tagger is not None:  # the figures below are then those of the rules and the tagger combined
        from train.models.span_tagger import SpanTagger

        tagger = SpanTagger.load(args.tagger)
        started = time.perf_counter()
        tagged = {a: [tuple(spans) for spans in tagger([r["text"] for r in article_rows])]
                  for a, article_rows in articles.items()}
        print(f"tagger: {1000 * (time.perf_counter() - started) / len(rows):.1f} ms a sentence "
              f"(batches of one article)")
        rules_counts = score(articles, by_rules)[0]
        alone = tagger_alone(articles, tagged)
        by_rules = {a: extract_docs(articles[a], docs[a], registry, None, tagged[a]) for a in articles}
        by_model = {a: extract_docs(articles[a], docs[a], registry, model_of[a], tagged[a]) for a in articles}
        for what, figures in (("rules alone", rules_counts), ("tagger alone", alone)):
            for name in ("exact", "overlap"):
                p, r, f = prf(figures[name], figures["predicted"], figures["gold"])
                print(f"{what:12}, {name:7}: precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
        print(f"rules + tagger ({args.tagger}, trained on {tagger.meta['examples']} sentences):")
    counts, kinds, confusion, misses, spurious, wrong_kinds = score(articles, by_rules)
    _, learned, learned_confusion, _, _, learned_wrong = score(articles, by_model)
    if args.kinds == "learned":  # the errors printed are those of the kinds asked for
        confusion, wrong_kinds = learned_confusion, learned_wrong
    print(f"{len(rows)} sentences of {len(articles)} articles, {counts['gold']} gold source mentions; "
          f"{1000 * seconds / len(rows):.1f} ms a sentence")
    for name in ("exact", "overlap"):
        p, r, f = prf(counts[name], counts["predicted"], counts["gold"])
        print(f"source spans, {name:7}: precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
    for rule in list(RULES) + ([tagger_alone] if alone is not None else []):
        name = "tagger" if rule is tagger_alone else rule.__name__
        hits, matched = counts["rule", name], counts["rule matched", name]
        print(f"  rule {name:14}: {hits:4} spans, overlap precision "
              + (f"{matched / hits:.3f}" if hits else "-"))
    total = kinds["right"] + kinds["wrong"]
    print(f"kind accuracy on the {total} spans matched by overlap: rules {kinds['right'] / total if total else 0:.3f}, "
          f"with the learned kind model {learned['right'] / total if total else 0:.3f}"
          f" ({'5 folds by article' if same_set else 'trained on ' + str(GOLD.relative_to(ROOT))})")
    if counts["content_gold"]:
        print(f"attributed content: found and overlapping the gold content for {counts['content_overlap']} of the "
              f"{counts['content_gold']} matched attributions whose gold has one "
              f"({counts['content_overlap'] / counts['content_gold']:.3f})")
    print(f"quotes continued from the sentence before (no mention, no cue): {counts['continued_found']} of "
          f"{counts['continued_gold']} found, {counts['continued_predicted']} predicted")
    if confusion:
        print("kind confusions (gold -> predicted): " + ", ".join(f"{g}->{p} {n}" for (g, p), n
                                                                  in confusion.most_common(8)))
    for text, mention in misses[:args.errors]:
        print(f"  missed   [{mention}] in: {text}")
    for text, mention, rule in spurious[:args.errors]:
        print(f"  spurious [{mention}] ({rule}) in: {text}")
    for mention, gold_kind, kind in wrong_kinds[:args.errors]:
        print(f"  kind     [{mention}] gold {gold_kind}, predicted {kind}")


if __name__ == "__main__":
    main()
