"""The taxonomy (`configs/taxonomy.yaml`): techniques, source kinds and reliability ratings.

It is the one place where a technique is named. Everything else is generated from it:
the Label Studio labeling config, the label names of datasets and models, the
guidelines shown to annotators, and the columns of reports.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from annotate.defaults import configs_dir
from annotate.errors import InputError, quote
from annotate.yamlconf import check_keys, load_yaml

DEFAULT_TAXONOMY = configs_dir() / "taxonomy.yaml"
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")

# Names of the Label Studio controls: part of the stored annotations, never rename.
SENTENCE = "sentence"
CONTEXT = "context"
CUE_LABELS = "cue"
SOURCE_LABELS = "source"
SOURCE_KIND = "source_kind"
SOURCE_RELIABILITY = "source_reliability"
TECHNIQUE_PREFIX = "technique_"


@dataclass(frozen=True)
class Technique:
    id: str
    name: str
    category: str
    definition: str
    distinguish: str
    cues: tuple[str, ...]
    counter_examples: tuple[str, ...]
    decision_rules: tuple[str, ...] = ()  # how to decide the borderline cases


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    description: str
    techniques: tuple[Technique, ...]

    @property
    def control(self) -> str:
        """The Label Studio ``Choices`` name of this category."""
        return TECHNIQUE_PREFIX + self.id


@dataclass(frozen=True)
class Choice:
    id: str
    name: str
    definition: str


@dataclass(frozen=True)
class Sources:
    label: Choice
    description: str
    kinds: tuple[Choice, ...]
    reliability: tuple[Choice, ...]


@dataclass(frozen=True)
class Taxonomy:
    version: int
    categories: tuple[Category, ...]
    sources: Sources
    path: str = ""

    @cached_property
    def techniques(self) -> tuple[Technique, ...]:
        return tuple(t for c in self.categories for t in c.techniques)

    @cached_property
    def label_names(self) -> list[str]:
        """Technique ids in taxonomy order: the class names of datasets and models."""
        return [t.id for t in self.techniques]

    @cached_property
    def technique_by_id(self) -> dict[str, Technique]:
        return {t.id: t for t in self.techniques}

    @cached_property
    def kind_ids(self) -> frozenset[str]:
        return frozenset(k.id for k in self.sources.kinds)

    @cached_property
    def reliability_ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.sources.reliability)

    @cached_property
    def category_by_control(self) -> dict[str, Category]:
        return {c.control: c for c in self.categories}


# -- loading ---------------------------------------------------------------------------

def _text(mapping: dict, key: str, where: str) -> str:
    value = mapping[key]
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def _texts(mapping: dict, key: str, where: str) -> tuple[str, ...]:
    value = mapping[key]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(f"{where}: '{key}' must be a non-empty list of strings")
    return tuple(v.strip() for v in value)


def _id(mapping: dict, where: str) -> str:
    value = mapping["id"]
    if not isinstance(value, str) or not _ID.match(value):
        raise InputError(f"{where}: id {quote(value)} must be letters, digits, '_' or '-', starting with a letter")
    return value


def _choice(mapping: object, where: str) -> Choice:
    mapping = check_keys(mapping, where, ("id", "name", "definition"))
    where = getattr(mapping, "where", where)
    return Choice(_id(mapping, where), _text(mapping, "name", where), _text(mapping, "definition", where))


def _list(value: object, where: str, what: str) -> list:
    if not isinstance(value, list) or not value:
        raise InputError(f"{where}: '{what}' must be a non-empty list")
    return value


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Load and validate a taxonomy file; every error names the file and line."""
    path = Path(path) if path else DEFAULT_TAXONOMY
    data = check_keys(load_yaml(path), str(path), ("version", "categories", "sources"))
    if data["version"] != 1:
        raise InputError(f"{data.at('version')}: unsupported taxonomy version {quote(data['version'])} (expected 1)")
    categories = []
    for raw in _list(data["categories"], data.at("categories"), "categories"):
        raw = check_keys(raw, data.at("categories"), ("id", "name", "description", "techniques"))
        techniques = []
        for raw_t in _list(raw["techniques"], raw.at("techniques"), "techniques"):
            raw_t = check_keys(raw_t, raw.at("techniques"),
                               ("id", "name", "definition", "distinguish", "cues", "counter_examples"),
                               ("decision_rules",))
            where = raw_t.where
            techniques.append(Technique(
                id=_id(raw_t, where), name=_text(raw_t, "name", where), category=_id(raw, raw.where),
                definition=_text(raw_t, "definition", where), distinguish=_text(raw_t, "distinguish", where),
                cues=_texts(raw_t, "cues", where), counter_examples=_texts(raw_t, "counter_examples", where),
                decision_rules=_texts(raw_t, "decision_rules", where) if "decision_rules" in raw_t else (),
            ))
        categories.append(Category(_id(raw, raw.where), _text(raw, "name", raw.where),
                                   _text(raw, "description", raw.where), tuple(techniques)))
    src = check_keys(data["sources"], data.at("sources"), ("label", "description", "kinds", "reliability"))
    label = check_keys(src["label"], src.at("label"), ("id", "name"))
    sources = Sources(
        label=Choice(_id(label, label.where), _text(label, "name", label.where), ""),
        description=_text(src, "description", src.where),
        kinds=tuple(_choice(k, src.at("kinds")) for k in _list(src["kinds"], src.at("kinds"), "kinds")),
        reliability=tuple(_choice(r, src.at("reliability"))
                          for r in _list(src["reliability"], src.at("reliability"), "reliability")),
    )
    taxonomy = Taxonomy(1, tuple(categories), sources, str(path))
    _check_unique(taxonomy)
    return taxonomy


def _check_unique(taxonomy: Taxonomy) -> None:
    groups = {
        "category id": [c.id for c in taxonomy.categories],
        "technique id": taxonomy.label_names,
        "technique name": [t.name for t in taxonomy.techniques],
        "source kind id": [k.id for k in taxonomy.sources.kinds],
        "reliability id": [r.id for r in taxonomy.sources.reliability],
    }
    for what, values in groups.items():
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise InputError(f"{taxonomy.path}: duplicate {what} {quote(value)}")
            seen.add(value)


# -- Label Studio labeling config ------------------------------------------------------

def _attr(value: str) -> str:
    return html.escape(value, quote=True)


# The one palette of the project: readable, distinct colours, one hue per category (cycled). The
# labeling config and the reports (annotate/report/) take every colour they show from here.
_COLOURS = ("#e6550d", "#3182bd", "#31a354", "#756bb1", "#de2d26", "#636363", "#d6616b")
SOURCE_COLOUR = "#fdae6b"  # the source span label
# Reliability ids are stable (see configs/taxonomy.yaml); a level added there without a colour here is grey.
RELIABILITY_COLOURS = {"reliable": _COLOURS[2], "mixed": _COLOURS[0], "low": _COLOURS[4], "unknown": _COLOURS[5]}
_SHADES = (-0.25, 0.35)  # the first technique of a category darkened this much, the last lightened


def technique_colours(taxonomy: Taxonomy) -> dict[str, str]:
    """One colour per technique id: its category's hue, from darker (the category's first technique)
    to lighter (its last), so that techniques of one category are told apart too."""
    colours = {}
    for index, category in enumerate(taxonomy.categories):
        base = _COLOURS[index % len(_COLOURS)]
        count = len(category.techniques)
        for position, technique in enumerate(category.techniques):
            low, high = _SHADES
            colours[technique.id] = _shade(base, low + (high - low) * position / (count - 1) if count > 1 else 0.0)
    return colours


def reliability_colour(reliability: str) -> str:
    return RELIABILITY_COLOURS.get(reliability, _COLOURS[5])


def _shade(colour: str, amount: float) -> str:
    """``colour`` (#rrggbb) mixed with black (``amount`` < 0) or white (> 0)."""
    channels = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    mixed = [c + (255 - c) * amount if amount > 0 else c * (1 + amount) for c in channels]
    return "#" + "".join(f"{round(c):02x}" for c in mixed)


def label_config(taxonomy: Taxonomy) -> str:
    """The Label Studio labeling config (XML) generated from the taxonomy.

    Annotators see French names; results store the stable ids (``alias``). The sentence
    is the object annotated; its paragraph is shown above it as context.
    """
    lines = [
        "<View>",
        '  <Header value="$title" size="4"/>',
        '  <Header value="Paragraphe (contexte)" size="6"/>',
        f'  <Text name="{CONTEXT}" value="$paragraph"/>',
        '  <Header value="Phrase à annoter" size="5"/>',
        f'  <Text name="{SENTENCE}" value="$text"/>',
        '  <Header value="Indices de technique (surligner le passage)" size="6"/>',
        f'  <Labels name="{CUE_LABELS}" toName="{SENTENCE}" choice="single" showInline="true">',
    ]
    colours = technique_colours(taxonomy)
    for t in taxonomy.techniques:
        lines.append(f'    <Label value="{_attr(t.name)}" alias="{t.id}" background="{colours[t.id]}"'
                     f' hint="{_attr(t.definition)}"/>')
    src = taxonomy.sources
    lines += [
        "  </Labels>",
        '  <Header value="Sources citées (surligner qui est cité)" size="6"/>',
        f'  <Labels name="{SOURCE_LABELS}" toName="{SENTENCE}" showInline="true">',
        f'    <Label value="{_attr(src.label.name)}" alias="{src.label.id}" background="{SOURCE_COLOUR}"'
        f' hint="{_attr(src.description)}"/>',
        "  </Labels>",
        # whenLabelValue is matched against the stored value, i.e. the alias (seen in the browser:
        # with the display name the per-region choices never show).
        f'  <View visibleWhen="region-selected" whenLabelValue="{src.label.id}">',
        '    <Header value="Type de source" size="6"/>',
        f'    <Choices name="{SOURCE_KIND}" toName="{SENTENCE}" perRegion="true" choice="single"'
        ' showInline="true">',
    ]
    lines += [f'      <Choice value="{_attr(k.name)}" alias="{k.id}" hint="{_attr(k.definition)}"/>'
              for k in src.kinds]
    lines += [
        "    </Choices>",
        '    <Header value="Fiabilité de la source" size="6"/>',
        f'    <Choices name="{SOURCE_RELIABILITY}" toName="{SENTENCE}" perRegion="true" choice="single"'
        ' showInline="true">',
    ]
    lines += [f'      <Choice value="{_attr(r.name)}" alias="{r.id}" hint="{_attr(r.definition)}"/>'
              for r in src.reliability]
    lines += ["    </Choices>", "  </View>"]
    for category in taxonomy.categories:
        lines.append(f'  <Header value="{_attr(category.name)}" size="5"/>')
        lines.append(f'  <Choices name="{category.control}" toName="{SENTENCE}" choice="multiple"'
                     ' showInline="false">')
        lines += [f'    <Choice value="{_attr(t.name)}" alias="{t.id}" hint="{_attr(t.definition)}"/>'
                  for t in category.techniques]
        lines.append("  </Choices>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"


# -- guidelines ------------------------------------------------------------------------

_INTRO = (
    "Chaque tâche est une phrase d'article, montrée avec son paragraphe. Cochez toutes les "
    "techniques présentes dans la phrase (plusieurs sont possibles, aucune aussi), surlignez le "
    "passage qui en est l'indice, et surlignez chaque source citée en précisant son type et sa "
    "fiabilité. En cas de doute entre deux techniques, relisez la rubrique « Ne pas confondre »."
)
# What annotators do not guess: said first, before the technique-by-technique guide.
_HOW_TO = (
    "Type et fiabilité d'une source : cliquez sur la source surlignée dans la phrase ; ses deux "
    "listes (type, fiabilité) apparaissent alors sous la phrase. Sans clic, elles restent cachées.",
    "Pré-annotations : quand un modèle a proposé une réponse, elle est déjà cochée et surlignée. "
    "Corrigez-la (décochez, cochez, ajustez les passages) puis validez : ne repartez pas de zéro.",
    "Le pourcentage affiché à côté du modèle est la probabilité, selon le modèle, que toute sa "
    "réponse pour la phrase soit juste (chaque technique cochée présente, chaque technique non "
    "cochée absente). Ce n'est pas une note de qualité de la phrase. Les phrases où il est le plus "
    "bas viennent en premier : ce sont celles où le modèle a le plus de chances de se tromper.",
)


def guidelines_markdown(taxonomy: Taxonomy) -> str:
    """French annotation guidelines in Markdown, generated from the taxonomy."""
    out = ["# Guide d'annotation", "", _INTRO, "", "**À savoir avant de commencer**", ""]
    out += [f"- {line}" for line in _HOW_TO] + [""]
    for category in taxonomy.categories:
        out += [f"## {category.name}", "", category.description, ""]
        for t in category.techniques:
            out += [f"### {t.name} (`{t.id}`)", "", t.definition, "",
                    f"**Ne pas confondre.** {t.distinguish}", "", "**Indices :**", ""]
            out += [f"- {cue}" for cue in t.cues]
            out += ["", "**Contre-exemples :**", ""]
            out += [f"- {example}" for example in t.counter_examples]
            if t.decision_rules:
                out += ["", "**Cas limites : règles de décision**", ""]
                out += [f"- {rule}" for rule in t.decision_rules]
            out.append("")
    src = taxonomy.sources
    out += [f"## {src.label.name}s citées", "", src.description, "", "### Type de source", ""]
    out += [f"- **{k.name}** (`{k.id}`) : {k.definition}" for k in src.kinds]
    out += ["", "### Fiabilité", ""]
    out += [f"- **{r.name}** (`{r.id}`) : {r.definition}" for r in src.reliability]
    return "\n".join(out) + "\n"


def guidelines_html(taxonomy: Taxonomy) -> str:
    """The same guidelines as HTML, for Label Studio's project instructions."""
    e = html.escape

    def items(values: tuple[str, ...]) -> str:
        return "<ul>" + "".join(f"<li>{e(v)}</li>" for v in values) + "</ul>"

    out = ["<h1>Guide d'annotation</h1>", f"<p><b>À savoir avant de commencer</b></p>{items(_HOW_TO)}",
           f"<p>{e(_INTRO)}</p>"]
    for category in taxonomy.categories:
        out += [f"<h2>{e(category.name)}</h2>", f"<p>{e(category.description)}</p>"]
        for t in category.techniques:
            out += [f"<h3>{e(t.name)} <code>{e(t.id)}</code></h3>", f"<p>{e(t.definition)}</p>",
                    f"<p><b>Ne pas confondre.</b> {e(t.distinguish)}</p>",
                    f"<p><b>Indices :</b></p>{items(t.cues)}",
                    f"<p><b>Contre-exemples :</b></p>{items(t.counter_examples)}"]
            if t.decision_rules:
                out.append(f"<p><b>Cas limites : règles de décision</b></p>{items(t.decision_rules)}")
    src = taxonomy.sources
    out += [f"<h2>{e(src.label.name)}s citées</h2>", f"<p>{e(src.description)}</p>", "<h3>Type de source</h3>",
            items(tuple(f"{k.name} ({k.id}) : {k.definition}" for k in src.kinds)),
            "<h3>Fiabilité</h3>",
            items(tuple(f"{r.name} ({r.id}) : {r.definition}" for r in src.reliability))]
    return "\n".join(out) + "\n"
