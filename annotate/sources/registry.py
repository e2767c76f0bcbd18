"""The source registry (`configs/sources.yaml`): known sources, their kind and reliability.

Each entry has an id, a name, aliases (the short name, other spellings), a kind (the
taxonomy's source kinds), a country, a reliability (the taxonomy's levels) and the basis
of that rating (who rated it, when). Ratings are the editorial choice of the team using
the tool, not facts of the tool; the file says so and shows how to add an entry. An outlet may
list its web ``domains`` ("lemonde.fr"): an article from one of them (or a subdomain) gets the
registry's rating, over any imported rating set (`annotate.sources.ratings`).

Matching is tolerant to case, accents, apostrophes, a leading article ("l'agence",
"le ministère") and word order ("le ministère russe de la Défense" = "ministère de la
Défense russe"); a mention that contains an alias as whole words matches it (the longest
alias wins: "la porte-parole du ministère de la Défense" is the ministry). A mention
that matches nothing is unknown: nothing is guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from annotate.defaults import configs_dir
from annotate.errors import InputError, quote
from annotate.sources.ratings import parse_domain
from annotate.taxonomy import Taxonomy
from annotate.yamlconf import check_keys, load_yaml

DEFAULT_REGISTRY = configs_dir() / "sources.yaml"
ENTRY_KEYS = ("id", "name", "kind", "reliability", "basis")
OPTIONAL_KEYS = ("aliases", "country", "note", "domains")
_ARTICLES = re.compile(r"^(?:le|la|les|l|un|une|des|du|de la|de l|de|d)\s+")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def normalise(text: str) -> str:
    """Lower case, no accents, apostrophes and hyphens as spaces, no leading article."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^\w]+", " ", text).strip()
    previous = None
    while previous != text:
        previous, text = text, _ARTICLES.sub("", text)
    return text


def bag(text: str) -> frozenset[str]:
    """The content words of a normalised name, for order-free matching."""
    return frozenset(w for w in text.split() if w not in {"de", "du", "des", "la", "le", "les", "l", "d", "et"})


@dataclass(frozen=True)
class SourceEntry:
    id: str
    name: str
    aliases: tuple[str, ...]
    kind: str
    country: str
    reliability: str
    basis: str
    where: str = ""
    domains: tuple[str, ...] = ()  # its web domains, as `annotate.sources.ratings.parse_domain` writes them


class Registry:
    def __init__(self, entries: list[SourceEntry], path: str = ""):
        self.entries = entries
        self.path = path
        self._exact: dict[str, SourceEntry] = {}
        self._bags: dict[frozenset[str], SourceEntry] = {}
        self.by_domain: dict[str, SourceEntry] = {d: entry for entry in entries for d in entry.domains}
        for entry in entries:
            for name in (entry.name, *entry.aliases):
                key = normalise(name)
                self._exact[key] = entry
                self._bags.setdefault(bag(key), entry)
        # Longest first, so that containment prefers the most specific alias.
        self._by_length = sorted(self._exact.items(), key=lambda item: -len(item[0]))

    def match(self, mention: str, outlet: str = "") -> SourceEntry | None:
        """The entry a source mention names, or None (unknown: never guessed)."""
        key = normalise(mention)
        if not key:
            return None
        if key in self._exact:
            return self._exact[key]
        words = bag(key)
        if words in self._bags and len(words) > 1:
            return self._bags[words]
        padded = f" {key} "
        for alias, entry in self._by_length:
            if len(alias) >= 3 and f" {alias} " in padded:
                return entry
        return None

    def __len__(self) -> int:
        return len(self.entries)


def load_registry(path: Path | str | None = None, taxonomy: Taxonomy | None = None) -> Registry:
    """Load and check a registry; a duplicate id or alias, an unknown kind or rating is an
    error naming the line."""
    from annotate.taxonomy import load_taxonomy

    taxonomy = taxonomy or load_taxonomy()
    path = Path(path) if path else DEFAULT_REGISTRY
    data = check_keys(load_yaml(path), str(path), ("version", "sources"))
    if data["version"] != 1:
        raise InputError(f"{data.at('version')}: unsupported registry version {quote(data['version'])} (expected 1)")
    if not isinstance(data["sources"], list):
        raise InputError(f"{data.at('sources')}: 'sources' must be a list of entries")
    entries: list[SourceEntry] = []
    seen_ids: dict[str, str] = {}
    seen_names: dict[str, str] = {}
    seen_domains: dict[str, str] = {}
    for raw in data["sources"]:
        raw = check_keys(raw, data.at("sources"), ENTRY_KEYS, OPTIONAL_KEYS)
        where = raw.where
        for key in ("id", "name", "kind", "reliability", "basis"):
            if not isinstance(raw[key], str) or not raw[key].strip():
                raise InputError(f"{raw.at(key)}: '{key}' must be a non-empty string")
        if not _ID.match(raw["id"]):
            raise InputError(f"{raw.at('id')}: id {quote(raw['id'])} must be lower-case letters, digits, '_' or '-'")
        if raw["id"] in seen_ids:
            raise InputError(f"{raw.at('id')}: duplicate id {quote(raw['id'])} (first at {seen_ids[raw['id']]})")
        seen_ids[raw["id"]] = where
        if raw["kind"] not in taxonomy.kind_ids:
            raise InputError(f"{raw.at('kind')}: unknown kind {quote(raw['kind'])} "
                             f"(expected one of {', '.join(sorted(taxonomy.kind_ids))})")
        if raw["reliability"] not in taxonomy.reliability_ids:
            raise InputError(f"{raw.at('reliability')}: unknown reliability {quote(raw['reliability'])} "
                             f"(expected one of {', '.join(sorted(taxonomy.reliability_ids))})")
        aliases = raw.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise InputError(f"{raw.at('aliases')}: 'aliases' must be a list of names")
        for name in (raw["name"], *aliases):
            key = normalise(name)
            if not key:
                raise InputError(f"{where}: the name or alias {quote(name)} is empty once normalised")
            if key in seen_names and seen_names[key] != where:  # the same entry may repeat itself
                raise InputError(f"{raw.at('aliases') if name in aliases else raw.at('name')}: "
                                 f"duplicate alias {quote(name)} (already used at {seen_names[key]})")
            seen_names[key] = where
        domains = _domains(raw, seen_domains)
        entries.append(SourceEntry(raw["id"], raw["name"].strip(), tuple(a.strip() for a in aliases), raw["kind"],
                                   str(raw.get("country") or ""), raw["reliability"], raw["basis"].strip(), where,
                                   domains))
    return Registry(entries, str(path))


def _domains(raw, seen: dict[str, str]) -> tuple[str, ...]:
    """An entry's ``domains``, checked: a list of domains, none given to another entry."""
    domains = raw.get("domains") or []
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise InputError(f"{raw.at('domains')}: 'domains' must be a list of domains (e.g. [lemonde.fr])")
    out = []
    for text in domains:
        try:
            domain = parse_domain(text)
        except ValueError as err:
            raise InputError(f"{raw.at('domains')}: malformed domain: {err}") from None
        if domain in seen and seen[domain] != raw.where:
            raise InputError(f"{raw.at('domains')}: duplicate domain {quote(text)} (already at {seen[domain]})")
        seen[domain] = raw.where
        if domain not in out:
            out.append(domain)
    return tuple(out)


@dataclass(frozen=True)
class Suggestion:
    """A source annotators rated that the registry lacks (``entry`` None) or rates otherwise."""

    mention: str  # as annotators most often wrote it
    kind: str  # the annotators' majority
    reliability: str  # the annotators' majority ("" when nobody rated it)
    annotations: int  # how many annotated spans it rests on
    annotators: int
    entry: SourceEntry | None
    differs: tuple[str, ...]  # "kind", "reliability": where the registry says otherwise

    def to_dict(self) -> dict:
        return {"mention": self.mention, "kind": self.kind, "reliability": self.reliability,
                "annotations": self.annotations, "annotators": self.annotators,
                "registry_id": self.entry.id if self.entry else None, "differs": list(self.differs)}


def suggest(rows, registry: Registry, min_annotations: int = 1) -> list[Suggestion]:
    """Registry suggestions from pulled rows (`propa pull`): named sources that annotators
    marked with a kind or a reliability the registry lacks or disagrees with. Anonymous and
    vague sources are left out: they are not registry material."""
    from collections import Counter, defaultdict

    spans: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for row in rows:
        for annotation in row.get("annotations") or []:
            for span in annotation.get("spans") or []:
                if span.get("label") != "source" or span.get("kind") == "anonymous_vague":
                    continue
                key = normalise(span["text"])
                if key:
                    spans[key].append((span["text"], span.get("kind") or "", span.get("reliability") or "",
                                       annotation["annotator"]))
    out = []
    for found in spans.values():
        if len(found) < min_annotations:
            continue
        mention = Counter(text for text, *_ in found).most_common(1)[0][0]
        kinds = Counter(kind for _, kind, _, _ in found if kind)
        ratings = Counter(rating for _, _, rating, _ in found if rating)
        kind = kinds.most_common(1)[0][0] if kinds else ""
        rating = ratings.most_common(1)[0][0] if ratings else ""
        entry = registry.match(mention)
        if entry is None:
            differs: tuple[str, ...] = ("new",)
        else:
            differs = tuple(name for name, mine, theirs in (("kind", kind, entry.kind),
                                                            ("reliability", rating, entry.reliability))
                            if mine and mine != theirs)
            if not differs:
                continue
        out.append(Suggestion(mention, kind, rating, len(found), len({a for *_, a in found}), entry, differs))
    out.sort(key=lambda s: (-s.annotations, s.mention))
    return out


def suggestions_yaml(suggestions: list[Suggestion]) -> str:
    """The suggestions as registry entries to review and paste into configs/sources.yaml."""
    import yaml

    lines = ["# Suggested by `propa sources suggest` from annotators' source spans. Review before adding:",
             "# ratings are your team's editorial choice.", ""]
    for s in suggestions:
        if s.entry is None:
            slug = re.sub(r"[^a-z0-9]+", "-", normalise(s.mention)).strip("-")[:40] or "source"
            entry = {"id": slug, "name": s.mention, "kind": s.kind or "other",
                     "reliability": s.reliability or "unknown",
                     "basis": f"Annotateurs ({s.annotators}, {s.annotations} annotations) : à confirmer"}
            lines.append(f"# new: {s.annotations} annotations by {s.annotators} annotator(s)")
        else:
            changed = ", ".join(f"{name}: registry {getattr(s.entry, name)}, annotators "
                                f"{s.kind if name == 'kind' else s.reliability}" for name in s.differs)
            lines.append(f"# {s.entry.id} ({s.entry.where}): {changed}")
            entry = {"id": s.entry.id, "name": s.entry.name, "kind": s.kind or s.entry.kind,
                     "reliability": s.reliability or s.entry.reliability, "basis": s.entry.basis}
        lines.append(yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=1000).rstrip())
        lines.append("")
    return "\n".join(lines) + "\n"
