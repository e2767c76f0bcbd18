"""View records -> HTML pages, as strings, with no I/O.

Every page stands alone: its style sheet, script and data are inline, and a Content-Security-Policy
forbids it to load anything (it opens from a file, from any static host, offline). Every text of an
article, a prediction or an annotation goes through :func:`html.escape` (an article that contains
``<script>`` shows it as text); the corpus data travels as JSON inside a ``<script
type="application/json">`` with ``<``, ``>`` and ``&`` escaped. Names, definitions, categories and
colours come from the taxonomy (:func:`annotate.taxonomy.technique_colours`): a technique added to
configs/taxonomy.yaml shows in the reports with its own colour.

On an article page a sentence with techniques is tinted with its first technique's colour and
underlined with one bar per technique, stacked; cue spans get a wavy underline in their technique's
colour and source mentions a box in their reliability's colour with the number of their source in
the side table. Spans that overlap are cut at every boundary (:func:`segments`), so each piece of
text carries every mark that covers it. Each mark has a tooltip (hover or keyboard focus): the French
name, category and definition of each technique, its origin and score.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Iterable, Sequence

from annotate.report.views import ArticleView, SentenceView
from annotate.taxonomy import Taxonomy, reliability_colour, technique_colours

STATIC = Path(__file__).resolve().parent / "static"
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")
BANDS_FR = {"solid": "solide", "mixed": "mitigé", "weak": "faible"}
BAND_COLOURS = {"solid": reliability_colour("reliable"), "mixed": reliability_colour("mixed"),
                "weak": reliability_colour("low")}
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")
BAR = 3  # px: the height of one technique's bar under a sentence
ARTICLES_DIR = "articles"


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def segments(length: int, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int, tuple[int, ...]]]:
    """``[0, length)`` cut at every span boundary: ``(start, end, indexes of the spans covering it)``
    for each piece, in order, the pieces no span covers included."""
    cuts = sorted({0, length, *(max(0, min(length, s)) for s, _ in spans), *(max(0, min(length, e)) for _, e in spans)})
    return [(a, b, tuple(i for i, (s, e) in enumerate(spans) if s <= a and b <= e)) for a, b in zip(cuts, cuts[1:])]


def number_fr(value: float, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text[:-(digits + 1)] if digits and text.endswith("," + "0" * digits) else text


def date_fr(date: str) -> str:
    """"2026-02-17" -> "17 février 2026"; anything else as it is."""
    found = re.match(r"^(\d{4})-(\d{2})(?:-(\d{2}))?", date or "")
    if not found or not 1 <= int(found.group(2)) <= 12:
        return date or ""
    month = MONTHS_FR[int(found.group(2)) - 1]
    return f"{int(found.group(3))} {month} {found.group(1)}" if found.group(3) else f"{month} {found.group(1)}"


def _origin_fr(origin: str, annotated: bool) -> str:
    if annotated:
        return f"annotateurs : {origin}" if origin else "annotateurs"
    if origin.startswith("rule:attribution/"):
        return f"règle d'attribution « {origin.split()[0].split('/', 1)[1]} »"
    if origin.startswith("rule:"):
        return f"règle « {origin[5:]} »"
    if origin == "model" or not origin:
        return "modèle"
    return origin


def _safe_url(url: str) -> str:
    return url if re.match(r"^https?://", url or "", re.IGNORECASE) else ""


def _page(title: str, body: str, script: str) -> str:
    return ("<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title>\n<style>\n{asset('report.css')}</style>\n</head>\n<body>\n{body}\n"
            f"<script>\n{script}</script>\n</body>\n</html>\n")


# -- article page ---------------------------------------------------------------------------

@dataclass
class _Context:
    """What rendering one article needs besides the article: the taxonomy's names and colours, the
    tooltips written so far, and the number of each source in the side table."""

    taxonomy: Taxonomy
    colours: dict[str, str]
    annotated: bool
    source_numbers: dict[str, int]
    tips: list[str]

    def tip(self, content: str) -> str:
        """A hidden tooltip, its id returned (the page lists them all at its end)."""
        tip_id = f"tip{len(self.tips)}"
        self.tips.append(f'<div class="tip" id="{tip_id}" hidden>{content}</div>')
        return tip_id


def _technique_item(ctx: _Context, technique: str, detail: str = "") -> str:
    t = ctx.taxonomy.technique_by_id[technique]
    category = next(c.name for c in ctx.taxonomy.categories if c.id == t.category)
    return (f'<div class="item"><b style="--c:{ctx.colours[technique]}">{escape(t.name)}</b> '
            f'<i>({escape(category)})</i><span class="def">{escape(t.definition)}</span>'
            + (f"<small>{detail}</small>" if detail else "") + "</div>")


def _mark_detail(ctx: _Context, origin: str, score: float | None) -> str:
    parts = [escape(_origin_fr(origin, ctx.annotated))]
    if score is not None:
        parts.append(f"accord {number_fr(score * 100, 0)}\u202f%" if ctx.annotated else f"score {number_fr(score, 2)}")
    return " · ".join(parts)


def _sentence_html(s: SentenceView, ctx: _Context) -> str:
    """One sentence: its text cut at the boundaries of its cue and source spans, each piece wrapped in
    the marks covering it (sources outside, cues inside), the whole in the sentence's technique marks."""
    marks = [*s.sources, *s.cues]
    pieces = []
    tips: dict[int, str] = {}
    for index, mark in enumerate(marks):
        if index < len(s.sources):
            number = ctx.source_numbers.get(mark.entity_name) or ctx.source_numbers.get(mark.text)
            kind = next((k.name for k in ctx.taxonomy.sources.kinds if k.id == mark.kind), mark.kind)
            reliability = next((r.name for r in ctx.taxonomy.sources.reliability if r.id == mark.reliability),
                               mark.reliability)
            who = mark.entity_name or mark.text
            tips[index] = ctx.tip(
                f'<div class="item"><b style="--c:{reliability_colour(mark.reliability)}">Source'
                f'{f" n° {number}" if number else ""} : {escape(who)}</b>'
                f'<span class="def">Type : {escape(kind)}<br>Fiabilité : {escape(reliability)}'
                f'{"<br>Citation du média lui-même" if mark.self_citation else ""}</span>'
                f"<small>{escape(_origin_fr(mark.origin, ctx.annotated))}</small></div>")
        else:
            tips[index] = ctx.tip(_technique_item(ctx, mark.technique, "Indice : " + _mark_detail(ctx, mark.origin,
                                                                                                    None)))
    for start, end, covering in segments(len(s.text), [(m.start, m.end) for m in marks]):
        html = escape(s.text[start:end])
        level = 0
        for index in reversed(covering):  # innermost first: cues (listed last) inside sources
            mark = marks[index]
            first = start == mark.start
            focus = f' tabindex="0" aria-describedby="{tips[index]}"' if first else ""
            if index < len(s.sources):
                last = end == mark.end
                classes = "src" + (" first" if first else "") + (" last" if last else "")
                badge = ""
                if last:
                    number = ctx.source_numbers.get(mark.entity_name) or ctx.source_numbers.get(mark.text)
                    badge = (f'<span class="badge" style="--r:{reliability_colour(mark.reliability)}" '
                             f'aria-hidden="true">{number if number else "?"}</span>')
                html = (f'<span class="{classes}" style="--r:{reliability_colour(mark.reliability)}" '
                        f'data-tip="{tips[index]}"{focus}>{html}</span>{badge}')
            else:
                html = (f'<span class="cue" style="--c:{ctx.colours[mark.technique]};--off:{4 + 4 * level}px" '
                        f'data-tip="{tips[index]}"{focus}>{html}</span>')
                level += 1
        pieces.append(html)
    inner = "".join(pieces)
    if not s.techniques:
        return f'<span class="s{"" if s.seen else " none"}" id="{escape(s.id)}">{inner}</span>'
    colours = [ctx.colours[m.technique] for m in s.techniques]
    count = len(colours)
    style = (f"background-image:{','.join(f'linear-gradient({c},{c})' for c in colours)},"
             f"linear-gradient({colours[0]}26,{colours[0]}26);"
             f"background-size:{'100% 3px,' * count}100% 100%;"
             f"background-position:{','.join(f'0 calc(100% - {BAR * i}px)' for i in range(count))},0 0;"
             f"padding-bottom:{BAR * count}px")
    detail = [_technique_item(ctx, m.technique, _mark_detail(ctx, m.origin, m.score)) for m in s.techniques]
    if s.score is not None and not ctx.annotated:
        detail.append(f'<div class="item"><small>Confiance du modèle dans toute la réponse : '
                      f"{number_fr(s.score * 100, 0)}\u202f%</small></div>")
    tip = ctx.tip("".join(detail))
    return (f'<span class="s t" id="{escape(s.id)}" data-t="{" ".join(m.technique for m in s.techniques)}" '
            f'style="{style}" tabindex="0" data-tip="{tip}" aria-describedby="{tip}">{inner}</span>')


def _paragraphs(sentences: list[SentenceView], ctx: _Context) -> tuple[str, str]:
    """(the title's HTML, the body's paragraphs)."""
    title, body, current, index = [], [], [], None
    for s in sentences:
        html = _sentence_html(s, ctx)
        if s.paragraph_index == 0:
            title.append(html)
            continue
        if index is not None and s.paragraph_index != index:
            body.append(f"<p>{' '.join(current)}</p>")
            current = []
        index = s.paragraph_index
        current.append(html)
    if current:
        body.append(f"<p>{' '.join(current)}</p>")
    return " ".join(title), "\n".join(body)


def _source_numbers(profile: dict | None) -> dict[str, int]:
    """The number of each source of the side table, by its name and by every form it is mentioned by."""
    numbers: dict[str, int] = {}
    for number, entity in enumerate((profile or {}).get("entities", []), start=1):
        for name in [entity.get("name", ""), *entity.get("mentions", [])]:
            if name:
                numbers.setdefault(name, number)
    return numbers


def _legend(article: ArticleView, ctx: _Context) -> str:
    counts = article.technique_counts()
    items = []
    for technique in ctx.taxonomy.techniques:
        if not counts[technique.id]:
            continue
        tip = ctx.tip(_technique_item(ctx, technique.id))
        items.append(f'<li><button type="button" class="key" data-t="{technique.id}" aria-pressed="false" '
                     f'data-tip="{tip}" aria-describedby="{tip}" style="--c:{ctx.colours[technique.id]}">'
                     f'<span class="sw"></span><span>{escape(technique.name)}</span>'
                     f'<span class="n" title="phrases">{counts[technique.id]}</span></button></li>')
    sentences = sum(1 for s in article.sentences if s.techniques)
    if items:
        head = (f'<p class="note">{sentences} phrase{"s" if sentences > 1 else ""} sur {len(article.sentences)} '
                "avec au moins une technique ; cliquez une technique pour ne voir qu'elle.</p>")
        listed = f"<ul>{''.join(items)}</ul>"
    else:
        head, listed = '<p class="note">Aucune technique relevée dans cet article.</p>', ""
    reliability = "".join(
        f'<span class="src first last" style="--r:{reliability_colour(r.id)}">{escape(r.name)}</span> '
        for r in ctx.taxonomy.sources.reliability)
    marks = ('<ul class="marks"><li><span class="sample cue" style="--c:#555">passage souligné</span> : indice '
             "d'une technique (couleur de la technique)</li>"
             f"<li>Sources citées, encadrées selon leur fiabilité : {reliability}</li></ul>")
    return f'<section class="legend"><h2>Techniques</h2>{head}{listed}{marks}</section>'


def _gauge(score: int) -> str:
    """A 0-100 bar with the bands' limits."""
    from annotate.sources.profile import BANDS

    parts = []
    limits = sorted(low for low, _ in BANDS)
    for (low, band), high in zip(sorted(BANDS), [*limits[1:], 100]):
        parts.append(f'<rect x="{low}" y="8" width="{high - low}" height="10" fill="{BAND_COLOURS.get(band, "#999")}" '
                     'opacity=".25"/>')
    parts.append(f'<rect x="0" y="8" width="{max(0, min(100, score))}" height="10" '
                 f'fill="{BAND_COLOURS.get(_band_of(score), "#999")}"/>')
    return (f'<svg class="gauge" viewBox="0 0 100 26" preserveAspectRatio="none" role="img" '
            f'aria-label="score {score} sur 100">{"".join(parts)}</svg>')


def _band_of(score: int) -> str:
    from annotate.sources.profile import band

    return band(score)


def _profile(article: ArticleView, ctx: _Context) -> str:
    if not article.has_sources or article.profile is None:
        why = ("ces prédictions ont été faites sans les règles d'attribution (--no-sources)"
               if article.origin == "predictions" and any(s.seen for s in article.sentences)
               else "aucune phrase de cet article n'a de prédiction ni d'annotation")
        return f'<section class="profile"><h2>Sourçage</h2><p class="note">Pas de profil : {why}.</p></section>'
    p = article.profile
    band = p.get("band", "")
    reasons = "".join(f"<li>{escape(r)}</li>" for r in reasons_fr(p))
    figures = [("Attributions", p.get("attributions", 0)), ("Sources distinctes", p.get("sources", 0)),
               ("Voix (nombre effectif)", number_fr(float(p.get("voices", 0.0)))),
               ("Anonymes ou vagues", p.get("anonymous", 0)), ("Médias d'État", p.get("state_media", 0)),
               ("Phrases sans attribution", p.get("unattributed", 0))]
    rating = p.get("outlet_rating")
    outlet = (f'<p class="note">Note du média ({escape(article.outlet or str(rating.get("domain", "")))}) : '
              f"{escape(_rating_fr(rating, ctx.taxonomy))} ; montrée, non comptée dans le score.</p>" if rating else "")
    return (f'<section class="profile"><h2>Sourçage</h2>'
            f'<div class="score"><span class="big">{p.get("score", 0)}</span><span>/ 100</span>'
            f'<span class="band" style="--b:{BAND_COLOURS.get(band, "#999")}">{escape(BANDS_FR.get(band, band))}</span>'
            f"</div>{_gauge(int(p.get('score', 0)))}"
            f'<h3>Points perdus</h3><ul class="reasons">{reasons}</ul>'
            f'<dl class="figures">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in figures)}</dl>{outlet}</section>')


def _rating_fr(rating: dict, taxonomy: Taxonomy) -> str:
    """An outlet's rating (:meth:`annotate.sources.ratings.Rating.to_dict`): the registry's level by its
    French name, or an imported set's score on its scale; with its provenance."""
    scale = rating.get("scale")
    score = rating.get("score")
    if not scale:
        shown = next((r.name for r in taxonomy.sources.reliability if r.id == score), str(score))
        return f"fiabilité {shown.lower()} ({rating.get('provenance', '')})"
    return f"{score} sur {scale[0]}–{scale[1]} ({rating.get('provenance', '')})"


def _loss_fr(loss: dict) -> str | None:
    """One point lost (:attr:`annotate.sources.profile.ArticleProfile.losses`) in French; None for a
    penalty this report does not know (its English reason is shown instead)."""
    n, total = loss.get("count", 0), loss.get("total", 0)
    s = "s" if n > 1 else ""
    penalty = loss.get("penalty")
    if penalty == "no_source":
        return "ne cite aucune source"
    if penalty == "anonymous":
        return f"{n} attribution{s} sur {total} anonyme{s} ou vague{s}"
    if penalty == "state_media":
        return f"{n} attribution{s} sur {total} à des médias d'État ou affiliés"
    if penalty == "official_line":
        return (f"la ligne des autorités ({' ; '.join(loss.get('names', []))}), relayée par leurs propres médias : "
                f"{n} attributions sur {total}, une seule voix")
    if penalty == "one_sided":
        voices = number_fr(float(loss.get("voices", 0.0)))
        who = "la ligne des autorités" if loss.get("line") else loss.get("loudest", "")
        share = number_fr(100 * float(loss.get("carried", 0.0)), 0)
        return f"{voices} voix : {who} porte {share}\u202f% des attributions" if who else f"{voices} voix"
    if penalty == "low_reliability":
        return f"{n} attribution{s} à des sources que le registre juge peu fiables"
    if penalty == "vague_source_line":
        return f"une ligne de source vague (« {loss['text']} »)" if loss.get("text") else "une ligne de source vague"
    if penalty == "unattributed":
        return f"{n} phrase{s} sur {total} n'attribue{'nt' if n > 1 else ''} rien"
    return None


def reasons_fr(profile: dict) -> list[str]:
    """The reasons of a sourcing profile in French, each with the points it lost; then what it notes
    without taking points. A reason this report cannot word stays as the profile gives it."""
    reasons = list(profile.get("reasons", []))
    losses = profile.get("losses")
    if losses is None:  # a profile from before losses existed
        return reasons
    out = []
    for number, loss in enumerate(losses):
        worded = _loss_fr(loss)
        out.append(f"{worded} (-{loss.get('points', 0)})" if worded is not None else reasons[number])
    if not losses:
        out.append(f"{number_fr(float(profile.get('voices', 0.0)))} voix, chaque attribution nommée")
    own = profile.get("self_citations", 0)
    if own:
        out.append(f"{own} attribution{'s' if own > 1 else ''} au média lui-même (aucun point perdu : signalé "
                   "au lecteur)")
    return out


def _sources_table(article: ArticleView, ctx: _Context) -> str:
    """The article's sources (the profile's entities), numbered as the badges in the text: name, the
    other forms it is mentioned by, kind, reliability, attributions; then the anonymous or vague ones."""
    kinds = {k.id: k.name for k in ctx.taxonomy.sources.kinds}
    levels = {r.id: r.name for r in ctx.taxonomy.sources.reliability}
    rows = []
    profile = article.profile or {}
    for number, entity in enumerate(profile.get("entities", []), start=1):
        reliability = str(entity.get("reliability", "unknown"))
        kind = str(entity.get("kind", ""))
        mentions = [m for m in entity.get("mentions", []) if m != entity.get("name")]
        also = f"<br>aussi : {escape(', '.join(mentions))}" if mentions else ""
        rows.append(f'<tr><td><span class="num-badge">{number}</span> {escape(str(entity.get("name", "")))}'
                    f'<small class="sub">{escape(kinds.get(kind, kind))}{also}</small></td>'
                    f'<td><span class="rel" style="--r:{reliability_colour(reliability)}">'
                    f'{escape(levels.get(reliability, reliability))}</span></td>'
                    f'<td class="num">{entity.get("attributions", 0)}</td></tr>')
    anonymous = int(profile.get("anonymous", 0))
    if anonymous:
        rows.append(f'<tr><td><span class="num-badge">?</span> <i>{escape(kinds.get("anonymous_vague", "anonymes"))}'
                    f'</i></td><td></td><td class="num">{anonymous}</td></tr>')
    if not rows:
        return '<section class="sources"><h2>Sources citées</h2><p class="note">Aucune source citée.</p></section>'
    return ('<section class="sources"><h2>Sources citées</h2><table><thead><tr><th>Source (n° dans le texte), '
            'type</th><th>Fiabilité</th><th class="num" title="attributions">Attr.</th></tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table></section>")


def _provenance(article: ArticleView) -> str:
    if article.origin == "annotations":
        who = ", ".join(article.annotators) or "personne"
        return f'<p class="prov">Annotations de : {escape(who)} (techniques retenues par la majorité).</p>'
    seen = [s for s in article.sentences if s.seen]
    if not seen:
        return '<p class="prov">Aucune prédiction pour cet article.</p>'
    scored = [s.score for s in seen if s.score is not None]
    mean = f" ; confiance moyenne {number_fr(100 * sum(scored) / len(scored), 0)}\u202f%" if scored else ""
    missing = len(article.sentences) - len(seen)
    gap = f" ; {missing} phrase{'s' if missing > 1 else ''} sans prédiction" if missing else ""
    return (f'<p class="prov">Prédictions du modèle <code>{escape(article.model_version)}</code>{mean}{gap}. '
            "Survolez ou sélectionnez (Tab) un passage pour la définition, l'origine et le score.</p>")


def article_page(article: ArticleView, taxonomy: Taxonomy, index_href: str = "../index.html") -> str:
    """The HTML page of one article."""
    ctx = _Context(taxonomy, technique_colours(taxonomy), article.origin == "annotations",
                   _source_numbers(article.profile), [])
    title_html, body = _paragraphs(article.sentences, ctx)
    meta = [escape(article.outlet) if article.outlet else "", escape(date_fr(article.date))]
    url = _safe_url(article.url)
    if url:
        meta.append(f'<a href="{escape(url)}" rel="noreferrer noopener">article original</a>')
    aside = _legend(article, ctx) + _profile(article, ctx) + _sources_table(article, ctx)
    body_html = (f'<div class="wrap"><p class="back"><a href="{escape(index_href)}">← Corpus</a></p>'
                 f'<header><h1>{title_html or escape(article.title)}</h1>'
                 f'<p class="meta">{" · ".join(m for m in meta if m)}</p>{_provenance(article)}</header>'
                 f'<div class="layout"><main class="text">{body}</main><aside>{aside}</aside></div></div>'
                 f'<div id="tooltip" role="tooltip" hidden></div>\n' + "\n".join(ctx.tips))
    return _page(article.title or article.id, body_html, asset("article.js"))


# -- corpus page ----------------------------------------------------------------------------

def article_summary(article: ArticleView) -> dict:
    """What the corpus page knows of an article: plain values, embedded as JSON."""
    counts = article.technique_counts()
    profile = article.profile or {}
    return {
        "id": article.id, "page": f"{ARTICLES_DIR}/{article.page}", "title": article.title,
        "outlet": outlet_name(article.outlet),
        "date": article.date, "month": article.month, "sentences": len(article.sentences),
        "flagged": sum(1 for s in article.sentences if s.techniques), "techniques": dict(counts),
        "score": profile.get("score") if article.profile is not None else None, "band": profile.get("band", ""),
        "sources": profile.get("sources", 0), "model_version": article.model_version,
        "annotators": list(article.annotators),
    }


def outlet_name(outlet: str) -> str:
    """An outlet's name as the corpus page groups it: one apostrophe, single spaces ("Le Courrier de
    l’Aube" and "Le Courrier de l'Aube" are one outlet)."""
    return " ".join(outlet.replace("\u2019", "'").split())


def json_for_script(value: object) -> str:
    """JSON safe inside a <script> element: no "</script>", no "<!--"."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def corpus_data(summaries: Sequence[dict], taxonomy: Taxonomy) -> dict:
    """The data the corpus page's script works on: the taxonomy's techniques, the bands, the articles."""
    from annotate.sources.profile import BANDS

    colours = technique_colours(taxonomy)
    categories = {c.id: c.name for c in taxonomy.categories}
    return {
        "techniques": [{"id": t.id, "name": t.name, "category": categories[t.category], "colour": colours[t.id],
                        "definition": t.definition} for t in taxonomy.techniques],
        "bands": [{"low": low, "id": band, "name": BANDS_FR.get(band, band), "colour": BAND_COLOURS.get(band, "#999")}
                  for low, band in BANDS],
        "articles": list(summaries),
    }


def corpus_page(summaries: Sequence[dict], taxonomy: Taxonomy, title: str = "Rapport du corpus") -> str:
    """The index page: figures and plots per outlet and month, filters, and a link to each article."""
    colours = technique_colours(taxonomy)
    articles = sorted(summaries, key=lambda a: (a["date"] or "", a["title"]), reverse=True)
    outlets = Counter(a["outlet"] for a in summaries)
    months = sorted({a["month"] for a in summaries if a["month"]})
    totals: Counter = Counter()
    for a in summaries:
        totals.update(a["techniques"])
    versions = sorted({a["model_version"] for a in summaries if a["model_version"]})
    annotators = sorted({name for a in summaries for name in a["annotators"]})
    provenance = []
    if versions:
        provenance.append("Prédictions du modèle " + ", ".join(f"<code>{escape(v)}</code>" for v in versions))
    if annotators:
        provenance.append("Annotations de : " + escape(", ".join(annotators)))
    sentences = sum(a["sentences"] for a in summaries)
    flagged = sum(a["flagged"] for a in summaries)
    share = number_fr(100 * flagged / sentences) if sentences else "0"

    def option(value: str, text: str) -> str:
        return f'<option value="{escape(value)}">{escape(text)}</option>'

    outlet_options = "".join(option(o, f"{o or '(sans média)'} ({n})") for o, n in sorted(outlets.items()))
    month_options = "".join(option(m, date_fr(m)) for m in months)
    technique_options = "".join(option(t.id, f"{t.name} ({totals[t.id]})") for t in taxonomy.techniques)
    rows = []
    for a in articles:
        top = sorted(a["techniques"].items(), key=lambda kv: -kv[1])[:4]
        chips = "".join(f'<span class="chip" style="--c:{colours.get(t, "#999")}">'
                        f'{escape(taxonomy.technique_by_id[t].name)} {n}</span>'
                        for t, n in top if t in taxonomy.technique_by_id)
        score = a["score"]
        band = a["band"]
        score_html = (f'<span class="band" style="--b:{BAND_COLOURS.get(band, "#999")}">{score}</span>'
                      if score is not None else "—")
        rows.append(f'<tr data-outlet="{escape(a["outlet"])}" data-month="{escape(a["month"])}" '
                    f'data-t="{" ".join(a["techniques"])}"><td><a href="{escape(a["page"])}">'
                    f'{escape(a["title"] or a["id"])}</a></td><td>{escape(a["outlet"])}</td>'
                    f'<td class="num">{escape(a["date"])}</td><td class="num">{a["flagged"]}/{a["sentences"]}</td>'
                    f'<td><div class="chips">{chips}</div></td><td class="num">{score_html}</td></tr>')
    body = f"""<div class="wrap">
<header><h1>{escape(title)}</h1>
<p class="meta">{_count(len(summaries), "article")}, {_count(len(outlets), "média")}, {_count(sentences, "phrase")} \
dont {share}\u202f% avec au moins une technique.</p>
<p class="prov">{" · ".join(provenance)}</p></header>
<form class="filters" id="filters" onsubmit="return false">
<label>Média<select name="outlet"><option value="">tous</option>{outlet_options}</select></label>
<label>Du<select name="from"><option value="">début</option>{month_options}</select></label>
<label>Au<select name="to"><option value="">fin</option>{month_options}</select></label>
<label>Technique<select name="technique"><option value="">toutes</option>{technique_options}</select></label>
<button type="reset">Tout afficher</button>
<span class="count" id="count" aria-live="polite"></span>
</form>
<noscript><p class="note">Les graphiques et les filtres demandent JavaScript ; la liste des articles est
plus bas.</p></noscript>
<div class="grid">
<section class="card"><h2>Techniques les plus fréquentes</h2><div id="chart-techniques"></div>
<p class="note">Phrases où la technique est relevée (part de toutes les phrases de la sélection).</p></section>
<section class="card"><h2>Score de sourçage par média</h2><div id="chart-scores"></div>
<p class="note">Moyenne des articles (0 à 100) ; tirets : limites des bandes.</p></section>
</div>
<section class="card"><h2>Par média</h2><div id="table-outlets"></div>
<p class="note">Techniques par article : phrases × techniques relevées, divisées par le nombre d'articles.</p></section>
<section class="card"><h2>Par mois</h2><div id="chart-months"></div><div id="table-months"></div></section>
<section class="card"><h2>Techniques par média</h2><div id="heat"></div>
<p class="note">Part des phrases du média où la technique est relevée.</p></section>
<section><h2>Articles</h2>
<table class="articles"><thead><tr><th>Titre</th><th>Média</th><th class="num">Date</th>
<th class="num" title="phrases avec une technique / phrases">Phrases</th><th>Techniques principales</th>
<th class="num">Sourçage</th></tr></thead><tbody id="article-rows">
{"".join(rows)}
</tbody></table></section>
</div>
<script type="application/json" id="report-data">{json_for_script(corpus_data(summaries, taxonomy))}</script>"""
    return _page(title, body, asset("corpus.js"))


def report_pages(articles: Iterable[ArticleView], taxonomy: Taxonomy) -> Iterable[tuple[str, str]]:
    """(path under the output folder, HTML) of every article page, then of the index page."""
    summaries = []
    for article in articles:
        summaries.append(article_summary(article))
        yield f"{ARTICLES_DIR}/{article.page}", article_page(article, taxonomy)
    yield "index.html", corpus_page(summaries, taxonomy)


def _count(n: int, noun: str) -> str:
    """« 1 média », « 7 médias » (French: 0 and 1 take the singular)."""
    return f"{n} {noun}{'s' if n > 1 else ''}"
